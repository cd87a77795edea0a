"""The Confluence emulator: credentials, faults, lifecycle, and what tests script and read."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from firefighter.emulators.confluence.api import ContentApi
from firefighter.emulators.confluence.model import Attachment, Fault, Page, Version
from firefighter.emulators.confluence.wire import Reply, handler_for
from firefighter.emulators.loopback import LoopbackServer


class ConfluenceEmulator(LoopbackServer, ContentApi):
    """An in-process Confluence on 127.0.0.1 with one or more spaces."""

    def __init__(
        self,
        *,
        username: str | None = "firefighter@example.com",
        password: str = "api-token",
        token: str | None = None,
        spaces: tuple[str, ...] = ("ENG",),
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(spaces, username)
        self.password = password
        self.token = token
        self.host = host
        self.space = spaces[0]
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []
        self._outage: int | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this emulator."""
        return handler_for(self)

    @property
    def cloud_url(self) -> str:
        """The Cloud-like base URL, with its `/wiki` context path."""
        return self.url + "/wiki"

    # ---- scripting and inspection ----------------------------------------------------

    def add_space(self, key: str) -> None:
        """Create a space."""
        with self._lock:
            self._spaces.add(key)

    def add_page(
        self,
        title: str,
        body: str = "<p>A page.</p>",
        *,
        space: str | None = None,
        parent_id: str | None = None,
    ) -> str:
        """Create a page directly (a parent, or someone else's page); returns its id."""
        with self._lock:
            page = self._new_page(space or self.space, parent_id, title, body, "")
        return page.id

    def edit_page(self, page_id: str, body: str, *, title: str | None = None) -> int:
        """Save a new version as a person would in the editor; returns its number."""
        with self._lock:
            page = self._pages[page_id]
            number = page.version + 1
            page.versions.append(Version(number, title or page.title, body, "edited by a person"))
            return number

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        delay: float = 0.0,
        after: bool = False,
        method: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
        together: bool = False,
    ) -> None:
        """Answer the next `times` matching requests with `status` (0: answer normally).

        `delay` waits before answering; `after` applies the request first and then answers
        `status`, as when Confluence did the work but the answer was lost; `together` holds
        the `times` requests until all of them have arrived (to line up racing clients).
        """
        barrier = threading.Barrier(times) if together else None
        with self._lock:
            self._faults.append(
                Fault(status, times, delay, after, method, path, retry_after, barrier)
            )

    def outage(self, status: int = 503) -> None:
        """Answer every request with `status` until `recover()` (Atlassian has had long ones)."""
        with self._lock:
            self._outage = status

    def recover(self) -> None:
        """End the outage: answer normally again."""
        with self._lock:
            self._outage = None

    def pages(self, space: str | None = None) -> list[Page]:
        """All pages (of one space), oldest first."""
        with self._lock:
            return [p for p in self._pages.values() if space is None or p.space == space]

    def page(self, page_id: str) -> Page:
        """One page; KeyError if there is none."""
        with self._lock:
            return self._pages[page_id]

    def children(self, parent_id: str) -> list[Page]:
        """Direct child pages of `parent_id`."""
        with self._lock:
            return [p for p in self._pages.values() if p.parent_id == parent_id]

    def attachments(self, page_id: str) -> list[Attachment]:
        """Attachments of a page."""
        with self._lock:
            return [a for a in self._attachments.values() if a.page_id == page_id]

    # ---- request handling (called from server threads) ---------------------------------

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first scripted fault matching this request, counted down; None if none."""
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
            return None

    def _authorised(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return self.token is not None and value.strip() == self.token
        if scheme.lower() == "basic" and self.username is not None:
            try:
                decoded = base64.b64decode(value.strip()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return False
            return decoded == f"{self.username}:{self.password}"
        return False

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, base: str
    ) -> tuple[int, Any, str]:
        """Route one request; returns (status, payload, content type)."""
        split = urlsplit(raw_path)
        path = unquote(split.path)
        cloud = False
        if path == "/wiki" or path.startswith("/wiki/"):
            path = path[len("/wiki") :] or "/"
            base += "/wiki"
            cloud = True
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        expand = {part.strip() for part in query.get("expand", "").split(",") if part.strip()}
        with self._lock:
            self.calls.append((method, raw_path))
            outage = self._outage
        if outage is not None:
            return (
                outage,
                {"statusCode": outage, "message": "Service Unavailable"},
                "application/json",
            )
        if not self._authorised(headers.get("authorization")):
            return (
                401,
                {"statusCode": 401, "message": "Authentication required"},
                "application/json",
            )
        try:
            with self._lock:
                self._route(method, path, query, expand, headers, body, base, cloud)
        except Reply as reply:
            return reply.status, reply.payload, reply.content_type
        raise AssertionError("every route answers with Reply")
