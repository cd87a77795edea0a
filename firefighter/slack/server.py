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
from firefighter.http_body import MAX_BODY, BodyRefused, read_body
from firefighter.logs import incident_id_var, request_id_var
from firefighter.slack.guard import unreadable_answer, unreadable_field, unsigned_reason
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


def rough_kind(body: str, content_type: str | None) -> str:
    """The kind of an unsigned request for the metrics, from its form keys alone: nothing an
    unverified sender wrote is parsed."""
    if content_type and "json" in content_type:
        return "event"
    keys = {part.partition("=")[0] for part in body[:4096].split("&")}
    if "payload" in keys:
        return "interactive"
    return "command" if "command" in keys else "unknown"


def _plain(start_response: StartResponse, status: int, text: str) -> list[bytes]:
    reasons = {400: "Bad Request", 401: "Unauthorized", 413: "Content Too Large"}
    payload = text.encode()
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def slack_endpoint(bolt: App, signing_secret: str, observe: Observe | None = None) -> WSGIApp:
    """The WSGI application for Slack's requests (mounted at `PATH`).

    In order, before Bolt sees anything: the body is read with a 1 MB cap, the signature
    checked (a timestamp that is not a number or older than five minutes is a 401, as a bad
    signature is), then the body's shape; only a signed, readable request reaches Bolt.
    """
    slack = SlackRequestHandler(bolt, path=PATH)

    def from_slack(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id_var.set(None)
        incident_id_var.set(None)
        kind = "unknown"

        def answered(status: str, headers: list[Any], *args: Any) -> Any:
            if observe is not None:
                observe(kind, int(status.split()[0]), started)
            return start_response(status, headers, *args)

        try:
            raw = read_body(environ, MAX_BODY)
        except BodyRefused as refused:
            log.warning("refused a Slack request: %s", refused.message)
            return _plain(answered, refused.status, refused.message)
        body = raw.decode("utf-8", "replace")
        unsigned = unsigned_reason(signing_secret, body, environ)
        if unsigned is not None:
            kind = rough_kind(body, environ.get("CONTENT_TYPE"))
            log.warning("refused an unsigned Slack request: %s", unsigned)
            return _plain(answered, 401, unsigned)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return _plain(answered, 400, unreadable_answer("body (not UTF-8)"))
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        kind, request_id = request_kind(body, environ.get("CONTENT_TYPE"))
        request_id_var.set(request_id)
        field = unreadable_field(body, environ.get("CONTENT_TYPE"))
        if field is not None:
            log.warning("refused a signed Slack request Bolt cannot read (%s: %s)", kind, field)
            return _plain(answered, 400, unreadable_answer(field))
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
