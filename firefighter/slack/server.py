"""`POST /slack/events`: Bolt behind a guard that refuses what Bolt cannot read."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import internals

from firefighter.db import TimedOut, within
from firefighter.logs import incident_id_var, request_id_var
from firefighter.slack.guard import readable, refusal
from firefighter.slack.outage import REQUEST_SECONDS, outage_answer

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
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


def _plain(start_response: StartResponse, status: int, text: str) -> list[bytes]:
    reasons = {400: "Bad Request", 401: "Unauthorized"}
    payload = text.encode()
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def slack_endpoint(bolt: App, signing_secret: str, observe: Observe | None = None) -> WSGIApp:
    """The WSGI application for Slack's requests (mounted at `PATH`)."""
    slack = SlackRequestHandler(bolt, path=PATH)

    def from_slack(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        # Read the body once, check Bolt can read it, then hand Bolt a fresh stream.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        body = raw.decode("utf-8", "replace")
        kind, request_id = request_kind(body, environ.get("CONTENT_TYPE"))
        request_id_var.set(request_id)
        incident_id_var.set(None)

        def answered(status: str, headers: list[Any], *args: Any) -> Any:
            if observe is not None:
                observe(kind, int(status.split()[0]), started)
            return start_response(status, headers, *args)

        if not readable(body, environ.get("CONTENT_TYPE")):
            headers = {
                "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
                "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
            }
            status, text_ = refusal(signing_secret, body, headers)
            log.warning("refused an unreadable Slack request with %s", status)
            return _plain(answered, status, text_)
        return _within_deadline(slack, environ, answered, body, environ.get("CONTENT_TYPE"), bolt)

    return from_slack


def _within_deadline(
    slack: Any,
    environ: dict[str, Any],
    answered: StartResponse,
    body: str,
    content_type: str | None,
    bolt: App,
) -> Iterable[bytes]:
    """Bolt's answer, or the outage sentence when it takes longer than Slack waits."""
    started: list[tuple[str, list[Any]]] = []

    def capture(status: str, headers: list[Any], *_args: Any) -> Callable[[bytes], None]:
        started.append((status, headers))
        return lambda _data: None

    def handle() -> bytes:
        return b"".join(slack(environ, capture))

    try:
        payload = within(REQUEST_SECONDS, handle)
    except TimedOut:
        log.warning(
            "a Slack request took longer than %g s: answered with the outage", REQUEST_SECONDS
        )
        try:
            parsed = internals.parse_body(body, content_type)
        except Exception:  # it was readable a moment ago; answer an empty 200 anyway
            parsed = {}
        status_code, text_, kind = outage_answer(parsed, bolt.client)
        data = text_.encode()
        answered(
            f"{status_code} OK",
            [("Content-Type", kind), ("Content-Length", str(len(data)))],
        )
        return [data]
    status, headers = started[0]
    answered(status, headers)
    return [payload]
