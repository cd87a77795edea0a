"""`POST /chaos/<litmus|chaosmesh|generic>` and `GET /chaos/gate?component=C`.

Every refusal (401, 400, 413) is decided before anything is written, as for alerts. The gate
needs no token: experiments ask it before they inject (an httpProbe, a StatusCheck, a Gremlin
health check), and it tells nothing but whether now is a good time.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError

from firefighter.chaos import chaosmesh, generic, litmus
from firefighter.chaos.common import ChaosInputError
from firefighter.incidents.chaos import ChaosRecord, ChaosService, Recorded
from firefighter.settings import Settings

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Parser = Callable[[Any, dict[str, str], datetime], list[ChaosRecord]]
Record = Callable[[list[ChaosRecord]], Recorded]

MAX_BODY = 1024 * 1024
PREFIX = "/chaos/"
GATE_PATH = "/chaos/gate"
PARSERS: dict[str, Parser] = {
    "litmus": litmus.parse,
    "chaosmesh": chaosmesh.parse,
    "generic": generic.parse,
}
REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    413: "Content Too Large",
    503: "Service Unavailable",
}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _answer(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        f"{status} {REASONS.get(status, 'Error')}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [payload]


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


def _read(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _Refused(400, "Content-Length: not a number") from None
    too_large = _Refused(413, "body: over 1 MB; send one result per request")
    if length > MAX_BODY:
        raise too_large
    raw: bytes = environ["wsgi.input"].read(length if length > 0 else MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise too_large
    return raw


def _query(environ: dict[str, Any]) -> dict[str, str]:
    return dict(parse_qsl(str(environ.get("QUERY_STRING") or ""), keep_blank_values=True))


def bearer_ok(authorization: str | None, token: str) -> bool:
    """Whether `Authorization: Bearer <token>` carries `token` (constant-time)."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def results_endpoint(
    source: str, *, token: str | None, store: Record, clock: Callable[[], datetime]
) -> WSGIApp:
    """The WSGI app taking one tool's results."""
    parse = PARSERS[source]

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            raw = _read(environ)
            if not token:
                raise _Refused(
                    401, "chaos intake is off on this server: FIREFIGHTER_CHAOS_TOKEN is not set"
                )
            if not bearer_ok(environ.get("HTTP_AUTHORIZATION"), token):
                raise _Refused(401, "Authorization: send `Bearer <FIREFIGHTER_CHAOS_TOKEN>`")
            try:
                data = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise _Refused(400, "body: not JSON") from None
            try:
                records = parse(data, _query(environ), clock())
            except ValidationError as error:
                raise _Refused(400, _field(error)) from None
            except ChaosInputError as error:
                raise _Refused(400, str(error)) from None
        except _Refused as refused:
            return _answer(start_response, refused.status, {"error": refused.message})
        if not records:  # an experiment still running (Awaited): nothing to record yet
            return _answer(start_response, 202, Recorded(0, 0, ()).as_json())
        try:
            recorded = store(records)
        except Exception:
            log.exception("could not store %s chaos results", source)
            return _answer(
                start_response, 503, {"error": "FireFighter could not store the results; retry"}
            )
        return _answer(start_response, 202, recorded.as_json())

    return application


def gate_endpoint(chaos: ChaosService) -> WSGIApp:
    """`GET /chaos/gate?component=C`: 200 `{"safe": true}` or 503 with the reason."""

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        component = _query(environ).get("component", "").strip()
        if not component or len(component) > 64:
            return _answer(
                start_response,
                400,
                {"error": "component: required (up to 64 characters), e.g. ?component=payments"},
            )
        try:
            answer = chaos.gate(component)
        except Exception:
            # Unsure means unsafe: an experiment must not start when we cannot tell.
            log.exception("the chaos gate could not read the database")
            return _answer(
                start_response,
                503,
                {"safe": False, "reason": "FireFighter cannot read its database right now"},
            )
        return _answer(start_response, 200 if answer.safe else 503, answer.as_json())

    return application


def chaos_endpoints(
    settings: Settings, chaos: ChaosService, store: Record
) -> tuple[dict[str, WSGIApp], dict[str, WSGIApp]]:
    """(POST endpoints by path, GET endpoints by path) for `web_app`."""
    posts = {
        PREFIX + source: results_endpoint(
            source, token=settings.chaos_token, store=store, clock=chaos.clock
        )
        for source in PARSERS
    }
    return posts, {GATE_PATH: gate_endpoint(chaos)}
