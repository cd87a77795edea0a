"""What the paging emulators share: JSON answers, a clock, faults by name, a webhook poster."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

Clock = Callable[[], datetime]
Reply = tuple[int, dict[str, Any]]


def wall_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class Faults:
    """Named fault hooks: `down_for(seconds)` answers 503 to everything until the clock passes;
    `fail_next(times, status)` answers `status` to the next requests."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.down_until: datetime | None = None
        self.failures: list[int] = []
        self.refused = 0
        self._lock = threading.Lock()

    def down_for(self, seconds: float) -> None:
        """The service is unreachable (503) for `seconds` of the emulator's clock."""
        with self._lock:
            self.down_until = self.clock() + timedelta(seconds=seconds)

    def fail_next(self, times: int = 1, status: int = 500) -> None:
        """Answer `status` to the next `times` requests."""
        with self._lock:
            self.failures += [status] * times

    def check(self) -> int | None:
        """The status to answer instead of serving, or None."""
        with self._lock:
            if self.down_until is not None and self.clock() < self.down_until:
                self.refused += 1
                return 503
            if self.failures:
                self.refused += 1
                return self.failures.pop(0)
            return None


def read_json(handler: BaseHTTPRequestHandler) -> tuple[Any, str | None]:
    """The request's JSON body, or (None, why it is not JSON)."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    if not raw:
        return None, "empty body"
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        return None, "body is not JSON"


def answer(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    """Write a JSON answer."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def post_json(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST `body` to `url` as a vendor's webhook does; (status, text)."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
