"""The one FastAPI application of `serve`: every adapter's routes, `/healthz` and `/metrics`.

Adapters hand their routers in; this module knows none of them. Pages outside `/api/`
answer an unknown path (or method) with a plain `404 not found`, as the endpoints always did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from firefighter.observability import Metrics
from firefighter.web.api.docs_page import render as render_docs
from firefighter.web.api.routes import ApiRefusal

API_PREFIX = "/api/v1"


def _field(location: Sequence[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def build_app(
    routers: Sequence[APIRouter],
    *,
    check_health: Callable[[], tuple[int, dict[str, Any]]],
    metrics: Metrics,
    extra_routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The application: adapters' `routers`, then `extra_routers` (the console and sign-in
    mount theirs here), `/healthz` and `/metrics`.

    The API's OpenAPI document is at `/api/v1/openapi.json` and its docs page at
    `/api/v1/docs`; the other endpoints stay out of it (they speak their vendors' formats).
    """
    app = FastAPI(
        title="FireFighter",
        summary="Incidents, follow-ups, alerts and figures of FireFighter.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # FastAPI's docs pages load from a CDN; ours below loads nothing
        redoc_url=None,
    )

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith(API_PREFIX):
            return JSONResponse(
                {"error": str(error.detail)}, status_code=error.status_code, headers=error.headers
            )
        if error.status_code in (404, 405):
            return PlainTextResponse("not found\n", status_code=404)
        return PlainTextResponse(f"{error.detail}\n", status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def unreadable(_request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid"}
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        return JSONResponse({"error": f"{_field(first.get('loc', ()))}: {message}"}, 422)

    @app.exception_handler(ApiRefusal)
    async def refused(_request: Request, error: ApiRefusal) -> Response:
        return JSONResponse({"error": error.message}, error.status, headers=error.headers)

    probes = anyio.CapacityLimiter(4)

    for router in [*routers, *extra_routers]:
        app.include_router(router)

    @app.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=False)
    async def healthz() -> Response:
        # The check waits on the database (at most its own time limit): off the event loop,
        # on threads of its own, so busy Slack requests never make a probe wait its turn.
        status, body = await anyio.to_thread.run_sync(check_health, limiter=probes)
        return Response(json.dumps(body), status_code=status, media_type="application/json")

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    async def docs() -> Response:
        return HTMLResponse(render_docs(app.openapi()))

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
