"""Reading a request body with a cap, whatever `Content-Length` says.

Every endpoint reads through `read_body`: a declared length over the cap is refused before a
byte is read, a body sent without a length (chunked) or with a lying one is refused as soon as
it passes the cap (nothing more is buffered), and a malformed length is a 400 naming the
header. uvicorn hands the body over as it arrives, so the server needs no cap of its own.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

MAX_BODY = 1024 * 1024
"""1 MB: the largest body any endpoint accepts (Slack's and Jira's are a few kB)."""


class BodyRefused(Exception):
    """A body the endpoint will not read: `status` (400 or 413) and a message naming why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, at most `limit` bytes; BodyRefused otherwise."""
    declared = str(request.headers.get("content-length") or "").strip()
    if declared:
        if not declared.isdigit():
            raise BodyRefused(400, "Content-Length: not a number")
        if int(declared) > limit:
            raise BodyRefused(413, _too_large(limit))
    chunks: list[bytes] = []
    got = 0
    async for chunk in request.stream():
        got += len(chunk)
        if got > limit:
            raise BodyRefused(413, _too_large(limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> str:
    size = f"{limit // MAX_BODY} MB" if limit % MAX_BODY == 0 else f"{limit} bytes"
    return f"body: over {size}; send less per request"


def json_answer(status: int, body: dict[str, Any], **headers: str) -> Response:
    """A JSON answer."""
    return Response(
        json.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


Handle = Callable[[Mapping[str, str], bytes], tuple[int, dict[str, Any]]]
"""A JSON endpoint's work: (headers, body) → (status, JSON answer); it may block."""


def json_endpoint(
    handle: Handle, *, too_large: str | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that reads the body under the cap (413 `{"error": too_large or the cap's
    sentence}`, 400 for a Content-Length that is not a number), then runs `handle` on a
    worker thread."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await read_body(request)
        except BodyRefused as refused:
            message = too_large if refused.status == 413 and too_large else refused.message
            return json_answer(refused.status, {"error": message})
        status, answer = await run_in_threadpool(handle, request.headers, body)
        return json_answer(status, answer)

    return endpoint
