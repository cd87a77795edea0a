"""HTTP serving: `POST /slack/events` for Slack, `GET /healthz` for the orchestrator."""

from __future__ import annotations

import json
import logging
import threading
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
