"""Kept for compatibility: the Slack emulator and driver are `firefighter.emulators.slack`."""

from firefighter.emulators.slack import *  # noqa: F403
from firefighter.emulators.slack import __all__ as __all__
