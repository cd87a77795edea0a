"""The emulator on the wire: call arguments, request bodies, the loopback HTTP server."""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast

from firefighter.emulators.slack.model import SlackError


class HttpApp(Protocol):
    """What the server hands each request to (the emulator)."""

    def handle_http(
        self, verb: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Route one HTTP request (headers lower-cased); returns status, headers, body."""
        ...


class Args:
    """Typed access to a Web API call's arguments, whatever the encoding."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def text(self, key: str, default: str = "") -> str:
        """The argument as a string (JSON for structures, `true`/`false` for booleans)."""
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def required(self, key: str, error: str = "invalid_arguments") -> str:
        """The argument as a non-empty string; SlackError(`error`) when it is missing."""
        value = self.text(key)
        if not value:
            raise SlackError(
                error, response_metadata={"messages": [f"[ERROR] missing required field: {key}"]}
            )
        return value

    def has(self, key: str) -> bool:
        """Whether the argument was given (and is not null)."""
        return self.data.get(key) is not None

    def flag(self, key: str, default: bool = False) -> bool:
        """The argument as a boolean, however the client encoded it."""
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes")

    def integer(self, key: str, default: int) -> int:
        """The argument as an integer; `invalid_arguments` when it is not one."""
        value = self.data.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_arguments") from exc

    def structure(self, key: str, error: str) -> Any:
        """The argument decoded from JSON when it came as a string; SlackError(`error`) if bad."""
        value = self.data.get(key)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                raise SlackError(error) from exc
        return value

    def csv(self, key: str) -> list[str]:
        """The argument as a list, from a JSON list or a comma-separated string."""
        value = self.data.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(item).strip() for item in items if str(item).strip()]


def parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Split a multipart/form-data body into its text fields and its files."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return {}, {}
    delimiter = b"--" + match.group(1).encode()
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in raw.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part.removeprefix(b"\r\n")
        head, _, body = part.partition(b"\r\n\r\n")
        body = body.removesuffix(b"\r\n")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                disposition = line
        name_match = re.search(r'\bname="([^"]*)"', disposition)
        name = name_match.group(1) if name_match else f"part{len(fields) + len(files)}"
        if "filename=" in disposition:
            files[name] = body
        else:
            fields[name] = body.decode("utf-8", "replace")
    return fields, files


def parse_body(content_type: str, raw: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode a JSON, form or multipart body into arguments and files."""
    if not raw:
        return {}, {}
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise SlackError("invalid_json") from exc
        return (data if isinstance(data, dict) else {}), {}
    if ctype == "multipart/form-data":
        fields, files = parse_multipart(content_type, raw)
        return dict(fields), files
    return dict(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True)), {}


class Server(ThreadingHTTPServer):
    """The loopback HTTP server; each request goes to `emulator.handle_http`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: HttpApp) -> None:
        self.emulator = emulator
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Report an error while serving, unless the client simply hung up."""
        # A client that went away before its answer was written (a worker killed with
        # SIGKILL in the middle of a call) is what the tests simulate, not an emulator fault.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """Reads one request, lets the emulator answer it, writes the answer."""

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing."""
        # Quiet on purpose: a test run should not print one line per Web API call.
        return

    def do_GET(self) -> None:
        """Serve a GET (Web API calls with query arguments, file downloads)."""
        self._dispatch()

    def do_POST(self) -> None:
        """Serve a POST (Web API calls, uploads, response_url posts)."""
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        emulator = cast(Server, self.server).emulator
        status, out_headers, body = emulator.handle_http(self.command, self.path, headers, raw)
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def json_reply(
    status: int, payload: dict[str, Any], **headers: str
) -> tuple[int, dict[str, str], bytes]:
    """A JSON answer as (status, headers, body)."""
    out = {"Content-Type": "application/json; charset=utf-8", **headers}
    return status, out, json.dumps(payload).encode("utf-8")
