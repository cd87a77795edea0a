"""The HTTP surface of `serve`: each adapter's endpoint, `/healthz` and `/metrics`.

Adapters hand their WSGI endpoints in by path; this module knows none of them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from firefighter.http_body import SERVER_MAX_BODY
from firefighter.observability import Metrics, TimeBoxed, outbox_health

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


HEALTH_SECONDS = 0.8
"""How long `/healthz` waits for the database: an answer within 1 s whatever it does."""


def health_check(
    engine: Engine, factory: sessionmaker[Session], clock: Callable[[], datetime]
) -> Callable[[], tuple[int, dict[str, Any]]]:
    """`/healthz`'s check: 200 with the outbox's state when the database answers within
    HEALTH_SECONDS, 503 otherwise."""

    def read() -> dict[str, Any]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return outbox_health(factory, clock)

    probe = TimeBoxed(read, HEALTH_SECONDS)

    def check() -> tuple[int, dict[str, Any]]:
        try:
            outbox = probe()
        except FutureTimeout:
            return 503, {
                "status": "unavailable",
                "database": f"no answer within {HEALTH_SECONDS:g} s",
            }
        except Exception as error:
            return 503, {"status": "unavailable", "database": str(error).splitlines()[0][:200]}
        return 200, {"status": "ok", "database": "ok", "outbox": outbox}

    return check


def _plain(start_response: StartResponse, status: int, body: str) -> list[bytes]:
    payload = body.encode()
    start_response(
        f"{status} Not Found",
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


def web_app(
    posts: Mapping[str, WSGIApp],
    *,
    check_health: Callable[[], tuple[int, dict[str, Any]]],
    metrics: Metrics,
    gets: Mapping[str, WSGIApp] | None = None,
) -> WSGIApp:
    """POST and GET endpoints by path, GET /healthz and /metrics, 404 elsewhere."""
    gets = dict(gets or {})

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST" and path in posts:
            return posts[path](environ, start_response)
        if method in ("GET", "HEAD") and path in gets:
            return gets[path](environ, start_response)
        if path == "/healthz" and method in ("GET", "HEAD"):
            status, body = check_health()
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

        self.server = create_server(
            app, host=host, port=port, threads=threads, max_request_body_size=SERVER_MAX_BODY
        )
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
