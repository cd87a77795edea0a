"""A Confluence REST emulator (Cloud and Data Center roots) on loopback HTTP."""

from firefighter.emulators.confluence.emulator import (
    Attachment,
    ConfluenceEmulator,
    Fault,
    Page,
    Version,
)

__all__ = ["Attachment", "ConfluenceEmulator", "Fault", "Page", "Version"]
