"""HTTP serving: `POST /slack/events` for Slack, `GET /healthz` for the orchestrator."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from firefighter.bootstrap import Core

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def health(core: Core) -> tuple[int, dict[str, Any]]:
    """200 and details when the database answers, 503 otherwise."""
    try:
        with core.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        return 503, {"status": "unavailable", "database": str(error).splitlines()[0][:200]}
    return 200, {"status": "ok", "database": "ok"}


def wsgi_app(core: Core, bolt: App) -> WSGIApp:
    """The WSGI application: Bolt on /slack/events, health on /healthz, 404 elsewhere."""
    slack = SlackRequestHandler(bolt, path="/slack/events")

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events" and method == "POST":
            return slack(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz" and method in ("GET", "HEAD"):
            status, body = health(core)
            payload = json.dumps(body).encode()
            reason = "OK" if status == 200 else "Service Unavailable"
            start_response(
                f"{status} {reason}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return application
