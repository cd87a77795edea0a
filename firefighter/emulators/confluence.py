"""A Confluence REST v1 emulator on loopback, for tests and for trying FireFighter out.

It implements the `/rest/api/content...` resources FireFighter uses, under a Data Center-like
root (`http://127.0.0.1:PORT/`) and a Cloud-like context path (`http://127.0.0.1:PORT/wiki/`):

- `GET /rest/api/content?title=&spaceKey=` (find by title), `POST /rest/api/content` (create),
  `GET|PUT /rest/api/content/{id}` (read with `expand=body.storage,version,...`; update with
  the next version number, 409 otherwise), `GET /rest/api/content/{id}/child/page`;
- attachments: `GET|POST|PUT /rest/api/content/{id}/child/attachment` (multipart, requires
  `X-Atlassian-Token: nocheck`), `POST .../child/attachment/{attachment}/data`, and
  `GET /download/attachments/{id}/{name}`.

Like Confluence it refuses a second page with the same title in a space, and a storage body
that is not well-formed XML (400). It checks basic auth or a bearer token (401), and
`fail_next` injects faults: an HTTP status for the next N matching requests, a slow answer,
or a status sent *after* the request took effect (the answer lost on the way back).

    with ConfluenceEmulator() as confluence:
        parent = confluence.add_page("Post-mortems")
        ...  # CONFLUENCE_URL=confluence.url, CONFLUENCE_SPACE=confluence.space
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import json
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

NAMESPACES = (
    'xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier"'
)
CONTENT = re.compile(r"^/rest/api/content/?$")
ONE = re.compile(r"^/rest/api/content/(?P<id>\d+)/?$")
CHILD_PAGES = re.compile(r"^/rest/api/content/(?P<id>\d+)/child/page/?$")
ATTACHMENTS = re.compile(r"^/rest/api/content/(?P<id>\d+)/child/attachment/?$")
ATTACHMENT_DATA = re.compile(
    r"^/rest/api/content/(?P<id>\d+)/child/attachment/(?P<att>att\d+)/data/?$"
)
DOWNLOAD = re.compile(r"^/download/attachments/(?P<id>\d+)/(?P<name>[^/]+)$")


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


class _Reply(Exception):
    def __init__(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload
        self.content_type = content_type


def _error(status: int, message: str) -> _Reply:
    return _Reply(status, {"statusCode": status, "message": message, "data": {}})


def storage_error(body: str) -> str | None:
    """Why `body` is not acceptable storage format, or None if it is well-formed."""
    try:
        ET.fromstring(f"<root {NAMESPACES}>{body}</root>")
    except ET.ParseError as error:
        return f"Error parsing xhtml: {error}"
    return None


class ConfluenceEmulator:
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
        self.username = username
        self.password = password
        self.token = token
        self.host = host
        self.space = spaces[0]
        self._spaces = set(spaces)
        self._pages: dict[str, Page] = {}
        self._attachments: dict[str, Attachment] = {}
        self._faults: list[Fault] = []
        self._next_id = 100_000
        self._lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> ConfluenceEmulator:
        """Listen on a free port and serve in a background thread."""
        server = ThreadingHTTPServer((self.host, 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ConfluenceEmulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The Data Center-like base URL (`http://127.0.0.1:PORT`)."""
        assert self._server is not None, "start() the emulator first"
        return f"http://{self.host}:{self._server.server_address[1]}"

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

    def _take_fault(self, method: str, path: str) -> Fault | None:
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

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _new_page(
        self, space: str, parent_id: str | None, title: str, body: str, message: str
    ) -> Page:
        page = Page(id=self._new_id(), space=space, parent_id=parent_id)
        page.versions.append(Version(1, title, body, message))
        self._pages[page.id] = page
        return page

    def _title_taken(self, space: str, title: str, except_id: str | None = None) -> bool:
        wanted = title.casefold()
        return any(
            p.space == space and p.title.casefold() == wanted and p.id != except_id
            for p in self._pages.values()
        )

    def _page_json(self, page: Page, base: str, cloud: bool, expand: set[str]) -> dict[str, Any]:
        webui = (
            f"/spaces/{page.space}/pages/{page.id}"
            if cloud
            else f"/pages/viewpage.action?pageId={page.id}"
        )
        data: dict[str, Any] = {
            "id": page.id,
            "type": "page",
            "status": "current",
            "title": page.title,
            "_links": {
                "webui": webui,
                "self": f"{base}/rest/api/content/{page.id}",
                "tinyui": f"/x/{page.id}",
            },
            "_expandable": {},
        }
        if "space" in expand:
            data["space"] = {"key": page.space}
        if "version" in expand:
            current = page.versions[-1]
            data["version"] = {
                "number": current.number,
                "message": current.message,
                "by": {"username": self.username},
            }
        if "body.storage" in expand:
            data["body"] = {"storage": {"value": page.body, "representation": "storage"}}
        if "ancestors" in expand:
            chain: list[dict[str, Any]] = []
            parent = self._pages.get(page.parent_id or "")
            while parent is not None:
                chain.insert(0, {"id": parent.id, "type": "page", "title": parent.title})
                parent = self._pages.get(parent.parent_id or "")
            data["ancestors"] = chain
        return data

    def _attachment_json(self, attachment: Attachment, base: str) -> dict[str, Any]:
        return {
            "id": attachment.id,
            "type": "attachment",
            "status": "current",
            "title": attachment.title,
            "version": {"number": attachment.version},
            "metadata": {"comment": attachment.comment, "mediaType": attachment.media_type},
            "extensions": {"mediaType": attachment.media_type, "fileSize": len(attachment.data)},
            "_links": {
                "download": f"/download/attachments/{attachment.page_id}/"
                f"{quote(attachment.title)}?version={attachment.version}",
                "self": f"{base}/rest/api/content/{attachment.id}",
            },
        }

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
        if not self._authorised(headers.get("authorization")):
            return (
                401,
                {"statusCode": 401, "message": "Authentication required"},
                "application/json",
            )
        try:
            with self._lock:
                self._route(method, path, query, expand, headers, body, base, cloud)
        except _Reply as reply:
            return reply.status, reply.payload, reply.content_type
        raise AssertionError("every route answers with _Reply")

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        expand: set[str],
        headers: dict[str, str],
        body: bytes,
        base: str,
        cloud: bool,
    ) -> None:
        if CONTENT.match(path):
            if method == "GET":
                self._search(query, expand, base, cloud)
            if method == "POST":
                self._create(_json(body), base, cloud)
        elif match := ONE.match(path):
            page = self._pages.get(match["id"])
            if page is None:
                raise _error(404, f"No content with id {match['id']}")
            if method == "GET":
                payload = self._page_json(page, base, cloud, expand)
                payload["_links"]["base"] = base
                raise _Reply(200, payload)
            if method == "PUT":
                self._update(page, _json(body), base, cloud)
        elif match := CHILD_PAGES.match(path):
            if method == "GET":
                kids = [p for p in self._pages.values() if p.parent_id == match["id"]]
                self._paged([self._page_json(p, base, cloud, expand) for p in kids], query, base)
        elif match := ATTACHMENTS.match(path):
            page = self._pages.get(match["id"])
            if page is None:
                raise _error(404, f"No content with id {match['id']}")
            if method == "GET":
                found = [
                    self._attachment_json(a, base)
                    for a in self._attachments.values()
                    if a.page_id == page.id and query.get("filename", a.title) == a.title
                ]
                self._paged(found, query, base)
            if method in ("POST", "PUT"):
                self._upload(page, None, headers, body, base, replace=method == "PUT")
        elif match := ATTACHMENT_DATA.match(path):
            page = self._pages.get(match["id"])
            attachment = self._attachments.get(match["att"])
            if page is None or attachment is None or attachment.page_id != page.id:
                raise _error(404, "No such attachment")
            if method == "POST":
                self._upload(page, attachment, headers, body, base, replace=True)
        elif match := DOWNLOAD.match(path):
            if method == "GET":
                name = unquote(match["name"])
                for attachment in self._attachments.values():
                    if attachment.page_id == match["id"] and attachment.title == name:
                        raise _Reply(200, attachment.data, attachment.media_type)
                raise _error(404, "No such attachment")
        else:
            raise _error(404, f"No resource at {path}")
        raise _error(405, f"{method} is not supported on {path}")

    def _paged(self, items: list[dict[str, Any]], query: dict[str, str], base: str) -> None:
        start = int(query.get("start") or 0)
        limit = max(1, min(int(query.get("limit") or 25), 200))
        chunk = items[start : start + limit]
        links: dict[str, Any] = {"base": base}
        if start + limit < len(items):
            links["next"] = f"?start={start + limit}&limit={limit}"
        raise _Reply(
            200,
            {"results": chunk, "start": start, "limit": limit, "size": len(chunk), "_links": links},
        )

    def _search(self, query: dict[str, str], expand: set[str], base: str, cloud: bool) -> None:
        space = query.get("spaceKey")
        if space is not None and space not in self._spaces:
            raise _error(404, f"No space with key : {space}")
        title = query.get("title")
        found = [
            self._page_json(p, base, cloud, expand)
            for p in self._pages.values()
            if (space is None or p.space == space)
            and (title is None or p.title.casefold() == title.casefold())
        ]
        self._paged(found, query, base)

    def _check_body(self, data: dict[str, Any]) -> tuple[str, str]:
        title = str(data.get("title") or "").strip()
        if not title:
            raise _error(400, "A page must have a title")
        if len(title) > 255:
            raise _error(400, "Title cannot be longer than 255 characters")
        storage = (data.get("body") or {}).get("storage") or {}
        if storage.get("representation", "storage") != "storage":
            raise _error(400, "Only the storage representation is supported here")
        value = str(storage.get("value") or "")
        problem = storage_error(value)
        if problem:
            raise _error(400, problem)
        return title, value

    def _create(self, data: dict[str, Any], base: str, cloud: bool) -> None:
        if data.get("type", "page") != "page":
            raise _error(400, "Only pages are supported here")
        space = str((data.get("space") or {}).get("key") or "")
        if space not in self._spaces:
            raise _error(404, f"No space with key : {space}")
        title, value = self._check_body(data)
        ancestors = data.get("ancestors") or []
        parent_id = str(ancestors[-1]["id"]) if ancestors else None
        if parent_id is not None:
            parent = self._pages.get(parent_id)
            if parent is None or parent.space != space:
                raise _error(404, f"No parent page with id {parent_id} in space {space}")
        if self._title_taken(space, title):
            raise _error(
                400,
                "A page with this title already exists: A page already exists with the same "
                f"TITLE in this space: {title}",
            )
        message = str((data.get("version") or {}).get("message") or "")
        page = self._new_page(space, parent_id, title, value, message)
        payload = self._page_json(page, base, cloud, {"space", "version", "body.storage"})
        payload["_links"]["base"] = base
        raise _Reply(200, payload)

    def _update(self, page: Page, data: dict[str, Any], base: str, cloud: bool) -> None:
        number = (data.get("version") or {}).get("number")
        if number != page.version + 1:
            raise _error(
                409,
                f"Version must be incremented on update. Current version is: {page.version}",
            )
        title, value = self._check_body(data)
        if self._title_taken(page.space, title, except_id=page.id):
            raise _error(400, f"A page with this title already exists: {title}")
        ancestors = data.get("ancestors") or []
        if ancestors:
            page.parent_id = str(ancestors[-1]["id"])
        message = str((data.get("version") or {}).get("message") or "")
        page.versions.append(Version(int(number), title, value, message))
        payload = self._page_json(page, base, cloud, {"space", "version", "body.storage"})
        payload["_links"]["base"] = base
        raise _Reply(200, payload)

    def _upload(
        self,
        page: Page,
        target: Attachment | None,
        headers: dict[str, str],
        body: bytes,
        base: str,
        *,
        replace: bool,
    ) -> None:
        token = headers.get("x-atlassian-token", "").lower()
        if token not in ("nocheck", "no-check"):
            raise _error(403, "XSRF check failed: send X-Atlassian-Token: nocheck")
        fields, files = _multipart(headers.get("content-type", ""), body)
        if "file" not in files:
            raise _error(400, "No file part named 'file' in the request")
        name, media_type, data = files["file"]
        comment = fields.get("comment", "")
        if target is None:
            target = next(
                (a for a in self._attachments.values() if a.page_id == page.id and a.title == name),
                None,
            )
            if target is not None and not replace:
                raise _error(
                    400,
                    "Cannot add a new attachment with same file name as an existing "
                    f"attachment: {name}",
                )
        if target is None:
            attachment = Attachment(
                id=f"att{self._new_id()}",
                page_id=page.id,
                title=name,
                media_type=media_type,
                data=data,
                comment=comment,
            )
            self._attachments[attachment.id] = attachment
            raise _Reply(200, {"results": [self._attachment_json(attachment, base)], "size": 1})
        target.data = data
        target.media_type = media_type
        target.comment = comment
        target.version += 1
        raise _Reply(200, self._attachment_json(target, base))


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise _error(400, "The body is not JSON") from None
    if not isinstance(data, dict):
        raise _error(400, "The body is not a JSON object")
    return data


def _multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    if not content_type.lower().startswith("multipart/form-data"):
        raise _error(415, "Attachments are uploaded as multipart/form-data")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename:
            files[name] = (filename, part.get_content_type(), data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


def _handler_for(emulator: ConfluenceEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Without this, Nagle's algorithm and delayed ACKs add ~40 ms to every answer.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            method = self.command
            fault = emulator._take_fault(method, self.path)
            if fault is not None and fault.barrier is not None:
                # If the others never come, answer anyway rather than hang.
                with contextlib.suppress(threading.BrokenBarrierError):
                    fault.barrier.wait(timeout=10)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            headers = {k.lower(): v for k, v in self.headers.items()}
            base = emulator.url
            if fault is not None and fault.status and not fault.after:
                status, payload, ctype = (
                    fault.status,
                    {"statusCode": fault.status, "message": f"Injected HTTP {fault.status}"},
                    "application/json",
                )
            else:
                status, payload, ctype = emulator.handle(method, self.path, headers, body, base)
                if fault is not None and fault.status and fault.after:
                    status, payload, ctype = (
                        fault.status,
                        {"statusCode": fault.status, "message": "Injected after the fact"},
                        "application/json",
                    )
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header(
                    "Content-Type",
                    ctype + (";charset=UTF-8" if ctype == "application/json" else ""),
                )
                self.send_header("Content-Length", str(len(data)))
                if fault is not None and fault.retry_after is not None:
                    self.send_header("Retry-After", str(fault.retry_after))
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="Confluence"')
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up waiting (a timeout test); nothing left to tell it.
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler
