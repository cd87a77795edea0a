"""Long-running processes: `firefighter serve` and `firefighter worker`.

Both stop on SIGTERM as a rolling update needs (SIGINT does the same): `serve` stops
accepting connections, lets the requests in flight finish and exits; a worker starts no new
delivery, finishes the ones under way and hands back the items it leased but had not started,
then exits; Socket Mode closes its WebSocket. All of it within `STOP_WITHIN` seconds, under
Kubernetes' default grace period of 30 s.
"""

from __future__ import annotations

import errno
import logging
import signal
import socket
import threading
import time
from types import FrameType
from typing import Any

from rich.console import Console
from slack_bolt import App

from firefighter.bootstrap import Core, bot_identity, build_app, build_dispatcher, http_app
from firefighter.gameday.ticker import start_in_thread as start_gameday_tick
from firefighter.logs import configure_logging
from firefighter.observability import Metrics
from firefighter.outbox import Dispatcher
from firefighter.schedules import start_in_thread as start_schedules
from firefighter.slack.client import make_client
from firefighter.slack.identity import BotIdentity
from firefighter.slack.posting import delivery_client
from firefighter.web.app import build_app as build_web_app
from firefighter.web.health import health_check
from firefighter.web.server import UvicornServer, serve_until

log = logging.getLogger(__name__)

BATCH = 2
"""Items one delivery thread leases at a time: few, so that one slow Slack answer holds up
little behind it and leases do not run out while their items wait."""

STOP_WITHIN = 20.0
"""Seconds a stopping process gives requests and deliveries in flight before it exits anyway
(a Slack call times out after 10 s); what is still leased then runs out with its lease."""


class CannotListen(Exception):
    """The address to serve on cannot be used (taken, or not this machine's); one sentence."""


def listen(
    app: Any, *, host: str, port: int, threads: int = 8, within: float = STOP_WITHIN
) -> UvicornServer:
    """A uvicorn server bound to host:port, or CannotListen saying what to do instead."""
    try:
        return UvicornServer(app, host=host, port=port, threads=threads, within=within)
    except socket.gaierror:
        raise CannotListen(
            f"cannot listen on {host}:{port}: not an address; use an IP address or a host name "
            "of this machine, e.g. 127.0.0.1 or 0.0.0.0."
        ) from None
    except OverflowError:
        raise CannotListen(f"cannot listen on {host}:{port}: ports are 1 to 65535.") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"port {port} on {host} is already in use; stop what listens there "
                "or choose another with --port."
            ) from None
        if error.errno == errno.EADDRNOTAVAIL:
            raise CannotListen(
                f"{host} is not an address of this machine; use one of its addresses, "
                "127.0.0.1 or 0.0.0.0."
            ) from None
        if error.errno == errno.EACCES:
            raise CannotListen(
                f"port {port} needs privileges this process does not have; use a port above 1023."
            ) from None
        raise CannotListen(f"cannot listen on {host}:{port} ({error.strerror}).") from None


def start_threads(
    dispatcher: Dispatcher, stop: threading.Event, count: int
) -> list[threading.Thread]:
    """Deliver with `count` daemon threads sharing one dispatcher until `stop` is set.

    A slow Slack answer, or an incident waiting out its Retry-After, then holds up one thread
    instead of every other incident's effects; per-incident order is the outbox's.
    """
    threads = [
        threading.Thread(
            target=dispatcher.run_forever,
            args=(stop,),
            kwargs={"limit": BATCH},
            name=f"outbox-worker-{n}",
            daemon=True,
        )
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    return threads


def _on_termination(stop: threading.Event) -> None:
    # Only set the event: the main thread notices it within a poll and stops uvicorn, which
    # runs on a thread of its own (so it installs no signal handlers of its own).
    def handler(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def stop_delivery(
    dispatcher: Dispatcher, threads: list[threading.Thread], *, within: float = STOP_WITHIN
) -> None:
    """Wait for the delivery threads (told to stop) to finish their items, up to `within` s."""
    deadline = time.monotonic() + within
    for thread in threads:
        thread.join(timeout=max(deadline - time.monotonic(), 0))
    left = dispatcher.heartbeat.held()
    if left:
        log.warning("stopping with %d outbox item(s) still in delivery: %s", len(left), left)


def run_server(
    core: Core,
    *,
    host: str,
    port: int,
    with_worker: bool,
    threads: int = 8,
    console: Console | None = None,
) -> None:
    """Serve HTTP (or Socket Mode when SLACK_APP_TOKEN is set) until SIGTERM/SIGINT."""
    configure_logging()
    metrics = Metrics()
    metrics.watch_outbox(core.factory, core.service.clock)
    identity, bolt = _bolt(core)
    # Bound before any thread starts: a port in use is one line, and nothing to stop.
    server = listen(http_app(core, bolt, metrics), host=host, port=port, threads=threads)
    stop = threading.Event()
    dispatcher: Dispatcher | None = None
    delivery: list[threading.Thread] = []
    if with_worker:
        dispatcher = build_dispatcher(
            core, delivery_client(core.settings), on_result=metrics.delivered
        )
        delivery = start_threads(dispatcher, stop, core.settings.outbox_threads)
        start_schedules(core.scheduler(), stop)
        start_gameday_tick(core.gamedays(), stop)
    socket_mode = None
    if core.settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        socket_mode = SocketModeHandler(bolt, core.settings.slack_app_token)
        socket_mode.connect()  # type: ignore[no-untyped-call]
    _on_termination(stop)
    _say_serving(console, host, server.port, socket_mode is not None, with_worker)
    drained = 0.0
    try:
        drained = serve_until(server, stop)
    finally:
        stopping = time.monotonic() - drained
        stop.set()
        identity.stop()
        if socket_mode is not None:
            # Socket Mode events are acknowledged as they are handled; closing says goodbye
            # on the WebSocket so Slack sends the next ones to another connection at once.
            socket_mode.close()  # type: ignore[no-untyped-call]
        if dispatcher is not None:
            # Deliveries stopped with the HTTP server: what is left of the budget is theirs.
            stop_delivery(dispatcher, delivery, within=max(STOP_WITHIN - drained, 1.0))
        core.close()
        log.info("serve stopped in %.1f s", time.monotonic() - stopping)


def _bolt(core: Core) -> tuple[BotIdentity, App]:
    """The Bolt app, and who the bot is, fetched in the background from now on."""
    client = make_client(core.settings)
    identity = bot_identity(client)
    identity.fetch_in_background()
    bolt = build_app(
        core,
        client,
        process_before_response=core.settings.process_before_response,
        identity=identity,
    )
    return identity, bolt


def _say_serving(
    console: Console | None, host: str, port: int, socket_mode: bool, with_worker: bool
) -> None:
    mode = "Socket Mode, health" if socket_mode else "POST /slack/events, GET /healthz"
    banner = (
        f"FireFighter serving on http://{host}:{port} ({mode}), "
        f"{'with' if with_worker else 'without'} the outbox worker"
    )
    if console is not None:
        console.print(banner, highlight=False, soft_wrap=True)
    else:
        log.info(banner)


def run_worker(
    core: Core,
    *,
    console: Console | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
) -> None:
    """Drain the outbox until SIGTERM/SIGINT, then stop as the module says.

    With `port`, the worker also answers `GET /healthz` and `GET /metrics` there (a small
    HTTP server of its own, for probes and Prometheus): its deliveries are counted where
    they happen, in this process.
    """
    configure_logging()
    metrics = Metrics()
    server = None
    if port is not None:
        metrics.watch_outbox(core.factory, core.service.clock)
        surface = build_web_app(
            [],
            check_health=health_check(core.engine, core.factory, core.service.clock),
            metrics=metrics,
        )
        server = listen(surface, host=host, port=port, threads=2, within=1.0)
    dispatcher = build_dispatcher(core, delivery_client(core.settings), on_result=metrics.delivered)
    stop = threading.Event()
    _on_termination(stop)
    start_schedules(core.scheduler(), stop)
    start_gameday_tick(core.gamedays(), stop)
    threads = start_threads(dispatcher, stop, core.settings.outbox_threads)
    if console is not None:
        where = (
            f"; /healthz and /metrics on http://{host}:{server.port}" if server is not None else ""
        )
        console.print(
            f"FireFighter worker {dispatcher.worker_id} started, {len(threads)} threads{where}",
            highlight=False,
        )
    try:
        if server is not None:
            serve_until(server, stop)
        else:
            # A timed wait, so that SIGTERM's handler runs promptly in this main thread.
            while not stop.wait(0.5):
                pass
    finally:
        stopping = time.monotonic()
        stop.set()
        stop_delivery(dispatcher, threads)
        core.close()
        log.info("worker stopped in %.1f s", time.monotonic() - stopping)
