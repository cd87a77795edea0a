"""`POST /chaos/<litmus|chaosmesh|generic>` and `GET /chaos/gate?component=C`.

Every refusal (401, 400, 413) is decided before anything is written, as for alerts. The gate
needs no token: experiments ask it before they inject (an httpProbe, a StatusCheck, a Gremlin
health check), and it tells nothing but whether now is a good time.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from firefighter.chaos import chaosmesh, generic, litmus
from firefighter.chaos.common import ChaosInputError
from firefighter.http_body import MAX_BODY, BodyRefused, json_answer, read_body
from firefighter.incidents.chaos import ChaosRecord, ChaosService, Recorded
from firefighter.settings import Settings

log = logging.getLogger(__name__)

Parser = Callable[[Any, dict[str, str], datetime], list[ChaosRecord]]
Record = Callable[[list[ChaosRecord]], Recorded]

PREFIX = "/chaos/"
GATE_PATH = "/chaos/gate"
PARSERS: dict[str, Parser] = {
    "litmus": litmus.parse,
    "chaosmesh": chaosmesh.parse,
    "generic": generic.parse,
}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _answer(status: int, body: dict[str, Any]) -> Response:
    return json_answer(status, body, **{"Cache-Control": "no-store"})


def _field(error: ValidationError) -> str:
    """The first thing that does not parse, by its path: `status.experimentStatus: …`."""
    first = error.errors()[0]
    path = ""
    for part in first["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not str(part).startswith(("function-", "json-", "list[", "GenericResult")):
            path += f".{part}" if path else str(part)
    return f"{path or 'body'}: {str(first['msg']).removeprefix('Value error, ')}"


def bearer_ok(authorization: str | None, token: str) -> bool:
    """Whether `Authorization: Bearer <token>` carries `token` (constant-time)."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def results_endpoint(
    source: str, *, token: str | None, store: Record, clock: Callable[[], datetime]
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint taking one tool's results."""
    parse = PARSERS[source]

    def handle(headers: Mapping[str, str], query: dict[str, str], raw: bytes) -> Response:
        try:
            if not token:
                raise _Refused(
                    401, "chaos intake is off on this server: FIREFIGHTER_CHAOS_TOKEN is not set"
                )
            if not bearer_ok(headers.get("authorization"), token):
                raise _Refused(401, "Authorization: send `Bearer <FIREFIGHTER_CHAOS_TOKEN>`")
            try:
                data = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise _Refused(400, "body: not JSON") from None
            try:
                records = parse(data, query, clock())
            except ValidationError as error:
                raise _Refused(400, _field(error)) from None
            except ChaosInputError as error:
                raise _Refused(400, str(error)) from None
        except _Refused as refused:
            return _answer(refused.status, {"error": refused.message})
        if not records:  # an experiment still running (Awaited): nothing to record yet
            return _answer(202, Recorded(0, 0, ()).as_json())
        try:
            recorded = store(records)
        except Exception:
            log.exception("could not store %s chaos results", source)
            return _answer(503, {"error": "FireFighter could not store the results; retry"})
        return _answer(202, recorded.as_json())

    async def endpoint(request: Request) -> Response:
        try:
            raw = await read_body(request, MAX_BODY)
        except BodyRefused as refused:
            message = "body: over 1 MB; send one result per request"
            return _answer(
                refused.status, {"error": message if refused.status == 413 else refused.message}
            )
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        return await run_in_threadpool(handle, request.headers, query, raw)

    return endpoint


def gate_endpoint(chaos: ChaosService) -> Callable[[Request], Awaitable[Response]]:
    """`GET /chaos/gate?component=C`: 200 `{"safe": true}` or 503 with the reason."""

    def handle(component: str) -> Response:
        if not component or len(component) > 64:
            return _answer(
                400,
                {"error": "component: required (up to 64 characters), e.g. ?component=payments"},
            )
        try:
            answer = chaos.gate(component)
        except Exception:
            # Unsure means unsafe: an experiment must not start when we cannot tell.
            log.exception("the chaos gate could not read the database")
            return _answer(
                503, {"safe": False, "reason": "FireFighter cannot read its database right now"}
            )
        return _answer(200 if answer.safe else 503, answer.as_json())

    async def endpoint(request: Request) -> Response:
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        return await run_in_threadpool(handle, query.get("component", "").strip())

    return endpoint


def chaos_router(settings: Settings, chaos: ChaosService, store: Record) -> APIRouter:
    """`POST /chaos/<tool>` for each tool and `GET /chaos/gate`."""
    router = APIRouter()
    # The gate first: `/chaos/gate` is not a tool.
    router.add_api_route(
        GATE_PATH, gate_endpoint(chaos), methods=["GET", "HEAD"], include_in_schema=False
    )
    for source in PARSERS:
        router.add_api_route(
            PREFIX + source,
            results_endpoint(source, token=settings.chaos_token, store=store, clock=chaos.clock),
            methods=["POST"],
            include_in_schema=False,
        )
    return router
