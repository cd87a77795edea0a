"""HTTP serving: `POST /slack/events` for Slack, `GET /healthz` for the orchestrator."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from firefighter.bootstrap import Core
from firefighter.observability import (
    Metrics,
    incident_id_var,
    outbox_health,
    request_id_var,
    request_kind,
)
from firefighter.slack.guard import readable, refusal

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def health(core: Core) -> tuple[int, dict[str, Any]]:
    """200 with the outbox's state when the database answers, 503 otherwise."""
    try:
        with core.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        outbox = outbox_health(core)
    except Exception as error:
        return 503, {"status": "unavailable", "database": str(error).splitlines()[0][:200]}
    return 200, {"status": "ok", "database": "ok", "outbox": outbox}


def _plain(start_response: StartResponse, status: int, text: str) -> list[bytes]:
    reasons = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
    payload = text.encode()
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    reason = "OK" if status == 200 else "Service Unavailable"
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def wsgi_app(core: Core, bolt: App, metrics: Metrics | None = None) -> WSGIApp:
    """The WSGI application: Bolt on /slack/events, /healthz, /metrics, 404 elsewhere."""
    slack = SlackRequestHandler(bolt, path="/slack/events")
    secret = core.settings.slack_signing_secret or ""
    metrics = metrics or Metrics()

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
            metrics.observe(kind, int(status.split()[0]), started)
            return start_response(status, headers, *args)

        if not readable(body, environ.get("CONTENT_TYPE")):
            headers = {
                "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
                "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
            }
            status, text_ = refusal(secret, body, headers)
            log.warning("refused an unreadable Slack request with %s", status)
            return _plain(answered, status, text_)
        return slack(environ, answered)  # type: ignore[no-any-return]

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events" and method == "POST":
            return from_slack(environ, start_response)
        if path == "/healthz" and method in ("GET", "HEAD"):
            status, body = health(core)
            return _json(start_response, status, body)
        if path == "/metrics" and method == "GET":
            payload = generate_latest(metrics.registry)
            start_response(
                "200 OK",
                [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        return _plain(start_response, 404, "not found\n")

    return application


class BackgroundServer:
    """A waitress server on a thread, for the demo, benchmarks and tests."""

    def __init__(self, app: WSGIApp, *, host: str = "127.0.0.1", port: int = 0, threads: int = 4):
        from waitress.server import create_server

        self.server = create_server(app, host=host, port=port, threads=threads)
        self.url = f"http://{host}:{self.server.effective_port}"
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="http", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:
            # Closing the listening socket under a running select() ends the loop this way.
            if not self._closing:
                raise

    def start(self) -> BackgroundServer:
        """Start serving; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the loop to end."""
        self._closing = True
        self.server.close()
        self._thread.join(5)
