"""`POST /slack/events`: Bolt behind a guard that refuses what Bolt cannot read.

Bolt's app is synchronous; its Starlette adapter would call it on the event loop and hold
every other request up, so the request is dispatched on a worker thread here, within the
time Slack waits.
"""

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
from firefighter.http_body import BadLength, BodyTooLarge, read_body
from firefighter.logs import incident_id_var, request_id_var
from firefighter.slack.guard import readable, refusal
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


def slack_router(bolt: App, signing_secret: str, observe: Observe | None = None) -> APIRouter:
    """The route for Slack's requests (at `PATH`)."""
    router = APIRouter()

    @router.post(PATH, include_in_schema=False)
    async def from_slack(request: Request) -> Response:
        started = time.perf_counter()
        content_type = request.headers.get("content-type")
        try:
            raw = await read_body(request)
        except (BodyTooLarge, BadLength):
            answer: Response = PlainTextResponse("body over 1 MB", status_code=413)
            if observe is not None:
                observe("unknown", 413, started)
            return answer
        body = raw.decode("utf-8", "replace")
        kind, request_id = request_kind(body, content_type)
        if not readable(body, content_type):
            headers = {
                "x-slack-request-timestamp": request.headers.get("x-slack-request-timestamp", ""),
                "x-slack-signature": request.headers.get("x-slack-signature", ""),
            }
            status, text_ = refusal(signing_secret, body, headers)
            log.warning("refused an unreadable Slack request with %s", status)
            answer = PlainTextResponse(text_, status_code=status)
        else:
            bolt_request = BoltRequest(
                body=body,
                query=request.url.query,
                headers=dict(request.headers.items()),
            )
            answer = await run_in_threadpool(
                _within_deadline, bolt, bolt_request, body, content_type, request_id
            )
        if observe is not None:
            observe(kind, answer.status_code, started)
        return answer

    return router


def _within_deadline(
    bolt: App, bolt_request: BoltRequest, body: str, content_type: str | None, request_id: Any
) -> Response:
    """Bolt's answer, or the outage sentence when it takes longer than Slack waits."""
    request_id_var.set(request_id)
    incident_id_var.set(None)
    try:
        answer = within(REQUEST_SECONDS, lambda: bolt.dispatch(bolt_request))
    except TimedOut:
        log.warning(
            "a Slack request took longer than %g s: answered with the outage", REQUEST_SECONDS
        )
        try:
            parsed = internals.parse_body(body, content_type)
        except Exception:  # it was readable a moment ago; answer an empty 200 anyway
            parsed = {}
        status_code, text_, kind = outage_answer(parsed, bolt.client)
        return Response(text_, status_code=status_code, media_type=kind)
    return to_starlette_response(answer)
