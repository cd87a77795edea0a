"""`POST /alerts/<source>`: verify, parse, route, and store in one transaction, then answer.

Every refusal (401, 400, 413) is decided before anything is written, so an unauthenticated
or unreadable request changes nothing; the answer names the field that does not parse.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool

from firefighter.alerts import alertmanager, datadog, generic, grafana, pagerduty
from firefighter.alerts.auth import bearer_ok, pagerduty_ok
from firefighter.alerts.common import scrub
from firefighter.alerts.rules import AlertRules
from firefighter.http_body import MAX_BODY, BodyRefused, read_body
from firefighter.incidents.alerts import IncomingGroup, Intake
from firefighter.settings import Settings

log = logging.getLogger(__name__)

Parser = Callable[[Any], list[IncomingGroup]]
Ingest = Callable[[Sequence[IncomingGroup]], Intake]

PREFIX = "/alerts/"
PARSERS: dict[str, Parser] = {
    "alertmanager": alertmanager.parse,
    "grafana": grafana.parse,
    "datadog": datadog.parse,
    "pagerduty": pagerduty.parse,
    "generic": generic.parse,
}


class Counters(Protocol):
    """Where the endpoint reports what it did (observability's metrics)."""

    def alerts_received(self, source: str, intake: Intake, seconds: float) -> None:
        """A webhook was stored."""

    def alerts_rejected(self, source: str, reason: str) -> None:
        """A webhook was refused (unauthenticated, invalid, too_large, unavailable)."""


class _Refused(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def field_error(error: ValidationError) -> str:
    """The first thing that does not parse, named by its path: `alerts[0].startsAt: …`."""
    first = error.errors()[0]
    path = ""
    for part in first["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not str(part).startswith(("function-", "json-")):
            path += f".{part}" if path else str(part)
    message = str(first["msg"]).removeprefix("Value error, ")
    if ": required" in message:  # a model-level check that names its field itself
        return message
    return f"{path or 'body'}: {message}"


def _answer(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


async def _read(request: Request) -> bytes:
    try:
        return await read_body(request, MAX_BODY)
    except BodyRefused as refused:
        if refused.status == 413:
            raise _Refused(
                413, "too_large", "body: over 1 MB; send fewer alerts per request"
            ) from None
        raise _Refused(400, "invalid", refused.message) from None


Authenticate = Callable[[Mapping[str, str], bytes], "str | None"]


def alerts_endpoint(
    source: str,
    *,
    authenticate: Authenticate,
    ingest: Ingest,
    rules: AlertRules,
    counters: Counters | None = None,
    consume: Callable[[Any], bool] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint for one source; `authenticate(headers, body)` returns why a request is
    refused, or None.

    `consume(body)`, given an authenticated JSON body, returns True when the body was not
    an alert but something another adapter handled (PagerDuty's events about our own pages).
    """
    return _Endpoint(source, authenticate, ingest, rules, counters, consume).answer


@dataclass(frozen=True)
class _Endpoint:
    source: str
    authenticate: Authenticate
    ingest: Ingest
    rules: AlertRules
    counters: Counters | None
    consume: Callable[[Any], bool] | None

    async def answer(self, request: Request) -> Response:
        started = time.perf_counter()
        try:
            raw = await _read(request)
        except _Refused as refused:
            return self.refuse(refused)
        # Parsing and storing block (the database): off the event loop.
        return await run_in_threadpool(self.handle, request.headers, raw, started)

    def refuse(self, refused: _Refused) -> Response:
        if self.counters is not None:
            self.counters.alerts_rejected(self.source, refused.reason)
        return _answer(refused.status, {"error": refused.message})

    def handle(self, headers: Mapping[str, str], raw: bytes, started: float) -> Response:
        try:
            groups = self.read(headers, raw)
        except _Refused as refused:
            return self.refuse(refused)
        if groups is None:
            return _answer(202, Intake().as_json())
        routed = [replace(g, route=self.rules.route(self.source, dict(g.labels))) for g in groups]
        try:
            intake = self.ingest(routed)
        except DataError:
            # The database refused a value for good (a retry would fail the same way).
            log.warning("refused %s alerts the database cannot store", self.source)
            return self.refuse(_Refused(400, "invalid", "body: a value the database cannot store"))
        except Exception:
            log.exception("could not store %s alerts", self.source)
            down = _Refused(503, "unavailable", "FireFighter could not store the alerts; retry")
            return self.refuse(down)
        if self.counters is not None:
            self.counters.alerts_received(self.source, intake, time.perf_counter() - started)
        return _answer(202, intake.as_json())

    def read(self, headers: Mapping[str, str], raw: bytes) -> list[IncomingGroup] | None:
        """The alerts in an authenticated body (None: another adapter consumed it); _Refused."""
        refusal = self.authenticate(headers, raw)
        if refusal is not None:
            raise _Refused(401, "unauthenticated", refusal)
        try:
            data = scrub(json.loads(raw))
        except (ValueError, UnicodeDecodeError):
            raise _Refused(400, "invalid", "body: not JSON") from None
        except RecursionError:
            raise _Refused(400, "invalid", "body: nested too deeply") from None
        if self.consume is not None and self.consume(data):
            return None
        try:
            return PARSERS[self.source](data)
        except ValidationError as error:
            raise _Refused(400, "invalid", field_error(error)) from None
        except (TypeError, AttributeError, OverflowError, RecursionError):
            # A shape no model foresaw is still the sender's to fix, never a retry.
            raise _Refused(400, "invalid", "body: not the shape this source sends") from None


def _bearer(token: str | None) -> Authenticate:
    def check(headers: Mapping[str, str], _body: bytes) -> str | None:
        if not token:
            return "alert intake is off on this server: FIREFIGHTER_ALERTS_TOKEN is not set"
        if not bearer_ok(headers.get("authorization"), token):
            return "Authorization: send `Bearer <FIREFIGHTER_ALERTS_TOKEN>`"
        return None

    return check


def _signed(secret: str | None) -> Authenticate:
    def check(headers: Mapping[str, str], body: bytes) -> str | None:
        if not secret:
            return "PagerDuty intake is off on this server: PAGERDUTY_WEBHOOK_SECRET is not set"
        if not pagerduty_ok(headers.get("x-pagerduty-signature"), body, secret):
            return "X-PagerDuty-Signature: no v1 signature matches PAGERDUTY_WEBHOOK_SECRET"
        return None

    return check


def alerts_router(
    settings: Settings,
    ingest: Ingest,
    rules: AlertRules,
    counters: Counters | None = None,
    pagerduty_pages: Callable[[Any], bool] | None = None,
) -> APIRouter:
    """Every `/alerts/<source>` endpoint: bearer token, PagerDuty's signature.

    `pagerduty_pages` takes PagerDuty's (verified) events about our own pages.
    """
    router = APIRouter()
    for source in PARSERS:
        router.add_api_route(
            PREFIX + source,
            alerts_endpoint(
                source,
                authenticate=(
                    _signed(settings.pagerduty_webhook_secret)
                    if source == "pagerduty"
                    else _bearer(settings.alerts_token)
                ),
                ingest=ingest,
                rules=rules,
                counters=counters,
                consume=pagerduty_pages if source == "pagerduty" else None,
            ),
            methods=["POST"],
            include_in_schema=False,
        )
    return router
