"""The Confluence emulator on the wire: answers, request bodies, the HTTP handler."""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

from firefighter.emulators.confluence.model import Fault


class Reply(Exception):
    """Raised with the answer to a request, so a route stops where it answers."""

    def __init__(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload
        self.content_type = content_type


def api_error(status: int, message: str) -> Reply:
    """A Confluence-shaped error answer."""
    return Reply(status, {"statusCode": status, "message": message, "data": {}})


def json_body(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; a 400 answer otherwise."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise api_error(400, "The body is not JSON") from None
    if not isinstance(data, dict):
        raise api_error(400, "The body is not a JSON object")
    return data


def multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """Text fields and files (name, media type, bytes) of a multipart/form-data body."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise api_error(415, "Attachments are uploaded as multipart/form-data")
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


class Served(Protocol):
    """What the wire needs of the emulator it serves (the emulator is built on the wire,
    so the wire names only this, not the emulator's class)."""

    @property
    def url(self) -> str:
        """The base URL it listens on."""
        ...

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The scripted fault for this request, if any (its count goes down by one)."""
        ...

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, base: str
    ) -> tuple[int, Any, str]:
        """Route one request; (status, payload, content type)."""
        ...


def handler_for(emulator: Served) -> type[BaseHTTPRequestHandler]:
    """The request handler class serving `emulator`, injected faults included."""

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
            fault = emulator.take_fault(method, self.path)
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
