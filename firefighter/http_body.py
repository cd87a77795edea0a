"""Reading a request body with a cap, whatever `Content-Length` says.

Every endpoint reads through `read_body`: a declared length over the cap is refused before a
byte is read, an absent or lying length never lets more than the cap (plus one byte, to know
it was exceeded) into memory, and a malformed length is a 400 naming the header.
"""

from __future__ import annotations

from typing import Any

MAX_BODY = 1024 * 1024
"""1 MB: the largest body any endpoint accepts (Slack's and Jira's are a few kB)."""

SERVER_MAX_BODY = MAX_BODY + 64 * 1024
"""What the HTTP server itself refuses before the application runs (its own plain 413):
waitress reads a whole body before calling the application, so only its own cap answers at
once a request that declares 100 MB and then sends nothing. A little above `MAX_BODY`, so a
body just over 1 MB still gets the endpoint's own answer naming the limit."""


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
            raise BodyRefused(413, _too_large(limit))
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
        raise BodyRefused(413, _too_large(limit))
    return raw


def _too_large(limit: int) -> str:
    size = f"{limit // MAX_BODY} MB" if limit % MAX_BODY == 0 else f"{limit} bytes"
    return f"body: over {size}; send less per request"
