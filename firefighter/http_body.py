"""Reading a request body with a cap, whatever `Content-Length` says.

Every endpoint reads through `read_body`: a declared length over the cap is refused before a
byte is read, an absent or lying length never lets more than the cap (plus one byte, to know
it was exceeded) into memory, and a malformed length is a 400 naming the header.
"""

from __future__ import annotations

from typing import Any

MAX_BODY = 1024 * 1024
"""1 MB: the largest body any endpoint accepts (Slack's and Jira's are a few kB)."""

SERVER_MAX_BODY = 2 * MAX_BODY
"""What the HTTP server itself refuses before the application runs (its own 413)."""


class BodyRefused(Exception):
    """A body the endpoint will not read: `status` (400 or 413) and a message naming why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def read_body(environ: dict[str, Any], limit: int = MAX_BODY) -> bytes:
    """The body, at most `limit` bytes; BodyRefused otherwise."""
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    length: int | None = None
    if declared:
        if not declared.isdigit():
            raise BodyRefused(400, "Content-Length: not a number")
        length = int(declared)
        if length > limit:
            raise BodyRefused(413, f"body: over {limit // 1024} kB; send less per request")
    stream = environ.get("wsgi.input")
    if stream is None or length == 0:
        return b""
    # Without a length, read one byte past the cap to know a body did not stop in time; with
    # one (already under the cap), read what it declared and no more.
    wanted = limit + 1 if length is None else length
    chunks: list[bytes] = []
    got = 0
    while got < wanted:
        chunk = stream.read(min(65536, wanted - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    raw = b"".join(chunks)
    if len(raw) > limit:
        raise BodyRefused(413, f"body: over {limit // 1024} kB; send less per request")
    return raw
