"""Kept for compatibility: re-exports `firefighter.emulators.confluence`."""

from firefighter.emulators.confluence import (
    NAMESPACES,
    Attachment,
    ConfluenceEmulator,
    Fault,
    Page,
    Version,
    storage_error,
)

__all__ = [
    "NAMESPACES",
    "Attachment",
    "ConfluenceEmulator",
    "Fault",
    "Page",
    "Version",
    "storage_error",
]
