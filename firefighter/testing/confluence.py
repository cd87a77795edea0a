"""Kept for compatibility: the Confluence emulator is `firefighter.emulators.confluence`."""

from firefighter.emulators.confluence import *  # noqa: F403
from firefighter.emulators.confluence import __all__ as __all__
