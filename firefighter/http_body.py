"""Reading a request body under a cap, from Content-Length and while reading.

Every HTTP endpoint caps bodies at 1 MB (DESIGN): a Content-Length over the cap is refused
before a byte is read, and a body sent without one (chunked) is refused as soon as it passes
the cap, so nobody can make the server buffer more than that.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

MAX_BODY = 1024 * 1024


class BodyTooLarge(Exception):
    """The body is over the cap; the endpoint answers 413 in its own words."""


class BadLength(Exception):
    """Content-Length is not a number."""


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The whole body, or BodyTooLarge/BadLength without reading past `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared:
        try:
            length = int(declared)
        except ValueError:
            raise BadLength from None
        if length > limit:
            raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


Handle = Callable[[Mapping[str, str], bytes], tuple[int, dict[str, Any]]]
"""A JSON endpoint's work: (headers, body) → (status, JSON answer); it may block."""


def json_endpoint(handle: Handle, *, too_large: str) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that reads the body under the cap (413 `{"error": too_large}`, 400 for a
    Content-Length that is not a number), then runs `handle` on a worker thread."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await read_body(request)
        except BadLength:
            return _json(400, {"error": "Content-Length: not a number"})
        except BodyTooLarge:
            return _json(413, {"error": too_large})
        status, answer = await run_in_threadpool(handle, request.headers, body)
        return _json(status, answer)

    return endpoint


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")
