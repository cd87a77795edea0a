"""`POST /slack/events`: Bolt behind a guard that refuses what Bolt cannot read."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.request import internals
from starlette.concurrency import run_in_threadpool

from firefighter.db import TimedOut, within
from firefighter.http_body import MAX_BODY, BodyRefused, read_body
from firefighter.logs import incident_id_var, request_id_var
from firefighter.slack.guard import unreadable_answer, unreadable_field, unsigned_reason
from firefighter.slack.outage import REQUEST_SECONDS, outage_answer

log = logging.getLogger(__name__)

Observe = Callable[[str, int, float], None]
"""Told (request kind, HTTP status, perf_counter at arrival) once a request is answered."""

PATH = "/slack/events"


def request_kind(body: str, content_type: str | None) -> tuple[str, str | None]:
    """(kind, Slack's id for the request) from a raw body, without trusting its shape."""
    try:
        if content_type and "json" in content_type:
            data = json.loads(body)
            return str(data.get("type") or "event"), data.get("event_id")
        from urllib.parse import parse_qs

        form = parse_qs(body)
        if "payload" in form:
            payload = json.loads(form["payload"][0])
            return str(payload.get("type") or "interactive"), payload.get("trigger_id")
        if "command" in form:
            return "command", form.get("trigger_id", [None])[0]
    except (ValueError, AttributeError, TypeError):
        pass
    return "unknown", None


def rough_kind(body: str, content_type: str | None) -> str:
    """The kind of an unsigned request for the metrics, from its form keys alone: nothing an
    unverified sender wrote is parsed."""
    if content_type and "json" in content_type:
        return "event"
    keys = {part.partition("=")[0] for part in body[:4096].split("&")}
    if "payload" in keys:
        return "interactive"
    return "command" if "command" in keys else "unknown"


def slack_router(
    bolt: App,
    signing_secret: str,
    observe: Observe | None = None,
    *,
    deadline_s: float = REQUEST_SECONDS,
) -> APIRouter:
    """The route for Slack's requests (at `PATH`).

    `deadline_s` is how long Bolt may work before the outage sentence answers instead (Slack
    gives up at 3 s); tests that are not about the deadline give it more room, since a busy
    test machine is not an outage.

    In order, before Bolt sees anything: the body is read with a 1 MB cap, the signature
    checked (a timestamp that is not a number or older than five minutes is a 401, as a bad
    signature is), then the body's shape; only a signed, readable request reaches Bolt, on a
    worker thread (Bolt's app is synchronous; its Starlette adapter would call it on the
    event loop and hold every other request up).
    """
    router = APIRouter()

    @router.post(PATH, include_in_schema=False)
    async def from_slack(request: Request) -> Response:
        started = time.perf_counter()
        kind, answer = await _answer(request, bolt, signing_secret, deadline_s)
        if observe is not None:
            observe(kind, answer.status_code, started)
        return answer

    return router


async def _answer(
    request: Request, bolt: App, signing_secret: str, deadline_s: float
) -> tuple[str, Response]:
    """(request kind for the metrics, the answer)."""
    request_id_var.set(None)
    incident_id_var.set(None)
    content_type = request.headers.get("content-type")
    try:
        raw = await read_body(request, MAX_BODY)
    except BodyRefused as refused:
        log.warning("refused a Slack request: %s", refused.message)
        # 413's reason phrase first, as Slack's tooling and proxies word it.
        text_ = (
            f"Content Too Large: {refused.message}" if refused.status == 413 else refused.message
        )
        return "unknown", PlainTextResponse(text_, status_code=refused.status)
    body = raw.decode("utf-8", "replace")
    unsigned = unsigned_reason(signing_secret, body, request.headers)
    if unsigned is not None:
        log.warning("refused an unsigned Slack request: %s", unsigned)
        return rough_kind(body, content_type), PlainTextResponse(unsigned, status_code=401)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown", PlainTextResponse(unreadable_answer("body (not UTF-8)"), 400)
    kind, request_id = request_kind(body, content_type)
    field = unreadable_field(body, content_type)
    if field is not None:
        log.warning("refused a signed Slack request Bolt cannot read (%s: %s)", kind, field)
        return kind, PlainTextResponse(unreadable_answer(field), status_code=400)
    bolt_request = BoltRequest(
        body=body, query=request.url.query, headers=dict(request.headers.items())
    )
    answer = await run_in_threadpool(
        _within_deadline, bolt, bolt_request, body, content_type, request_id, deadline_s
    )
    return kind, answer


def _within_deadline(
    bolt: App,
    bolt_request: BoltRequest,
    body: str,
    content_type: str | None,
    request_id: Any,
    deadline_s: float,
) -> Response:
    """Bolt's answer, or the outage sentence when it takes longer than Slack waits."""
    request_id_var.set(request_id)
    incident_id_var.set(None)
    try:
        answer = within(deadline_s, lambda: bolt.dispatch(bolt_request))
    except TimedOut:
        log.warning("a Slack request took longer than %g s: answered with the outage", deadline_s)
        try:
            parsed = internals.parse_body(body, content_type)
        except Exception:  # it was readable a moment ago; answer an empty 200 anyway
            parsed = {}
        status_code, text_, kind = outage_answer(parsed, bolt.client)
        return Response(text_, status_code=status_code, media_type=kind)
    return to_starlette_response(answer)
