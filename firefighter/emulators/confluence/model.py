"""What the Confluence emulator stores: pages and their versions, attachments, faults."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

NAMESPACES = (
    'xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier"'
)


@dataclass
class Version:
    """One saved version of a page."""

    number: int
    title: str
    body: str
    message: str


@dataclass
class Page:
    """A page as the emulator stores it."""

    id: str
    space: str
    parent_id: str | None
    versions: list[Version] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The current title."""
        return self.versions[-1].title

    @property
    def body(self) -> str:
        """The current storage body."""
        return self.versions[-1].body

    @property
    def version(self) -> int:
        """The current version number."""
        return self.versions[-1].number


@dataclass
class Attachment:
    """A file attached to a page; `version` grows with each new upload of the same name."""

    id: str
    page_id: str
    title: str
    media_type: str
    data: bytes
    comment: str
    version: int = 1


@dataclass
class Fault:
    """A scripted misbehaviour for the next `times` requests that match."""

    status: int
    times: int
    delay: float = 0.0
    after: bool = False
    method: str | None = None
    path: str | None = None
    retry_after: int | None = None
    barrier: threading.Barrier | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or self.path in path


def storage_error(body: str) -> str | None:
    """Why `body` is not acceptable storage format, or None if it is well-formed."""
    try:
        ET.fromstring(f"<root {NAMESPACES}>{body}</root>")
    except ET.ParseError as error:
        return f"Error parsing xhtml: {error}"
    return None
