"""Serving the application with uvicorn: on a thread (demo, benchmarks, tests) or until told
to stop (`firefighter serve`), with uvicorn's own graceful shutdown. The one uvicorn runner:
`serve`, the demo (its console too), the benchmarks and the tests all use it.

Stopping closes the listening socket first (new connections are refused, a load balancer moves
on), lets the requests in flight finish and send their answers, closes idle keep-alive
connections, and cuts what is left after `within` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import threading
import time
from typing import Any

import anyio.to_thread
import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on `host` now, for a URL that must be known before the app is built (the
    console's OIDC redirect URL)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY on accepted connections only when
    # the socket says it is TCP; without it every keep-alive answer waits ~40 ms (Nagle).
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(1024)
    listener.setblocking(False)
    return listener


class _SaysWhy(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, whose 400 for a request it cannot parse names what is
    wrong (`bad Content-Length`) instead of "Invalid HTTP request received."."""

    def send_400_response(self, msg: str) -> None:
        # Called from the `except h11.RemoteProtocolError` block: the error is at hand.
        error = sys.exc_info()[1]
        if isinstance(error, h11.RemoteProtocolError) and str(error):
            msg = f"Invalid HTTP request: {error}."
        super().send_400_response(msg)


class UvicornServer:
    """One uvicorn server on a socket bound at construction (so port 0 is known at once).

    `threads` bounds the threads that run blocking work (Bolt, database reads) at once.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 40,
        within: float = 20.0,
    ) -> None:
        self.listener = _listen(host, port)
        self.port: int = self.listener.getsockname()[1]
        self.threads = threads
        config = uvicorn.Config(
            app,
            http=_SaysWhy,
            lifespan="off",
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=int(within) or 1,
            timeout_keep_alive=5,
        )
        self.server = uvicorn.Server(config)

    async def _serve(self) -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = self.threads
        await self.server.serve(sockets=[self.listener])

    def run(self) -> None:
        """Serve until `stop()` is called (from another thread or a signal handler)."""
        asyncio.run(self._serve())

    def stop(self) -> None:
        """Ask for the graceful shutdown; `run()` returns once it is done."""
        self.server.should_exit = True


def serve_until(server: UvicornServer, stop: threading.Event) -> float:
    """Run `server` on a thread until `stop` is set, then shut it down gracefully; the seconds
    the shutdown took."""
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    while not stop.wait(0.2):
        if not thread.is_alive():
            raise SystemExit("the HTTP server stopped by itself; see the log above")
    started = time.monotonic()
    server.stop()
    thread.join()
    return time.monotonic() - started


class BackgroundServer:
    """The application on a uvicorn thread, on loopback, for the demo, benchmarks and tests."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, threads: int = 40):
        self.server = UvicornServer(app, host=host, port=port, threads=threads, within=5.0)
        self.url = f"http://{host}:{self.server.port}"
        self._thread = threading.Thread(target=self.server.run, name="http", daemon=True)

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        """Start serving; returns self once the server accepts requests."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the HTTP server did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the loop to end."""
        self.server.stop()
        self._thread.join(10)
