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
import threading
import time
from types import FrameType
from typing import Any

from rich.console import Console

from firefighter.bootstrap import Core, build_app, build_dispatcher, wsgi_app
from firefighter.gameday.ticker import start_in_thread as start_gameday_tick
from firefighter.http_body import SERVER_MAX_BODY
from firefighter.logs import configure_logging
from firefighter.observability import Metrics
from firefighter.outbox import Dispatcher
from firefighter.schedules import start_in_thread as start_schedules
from firefighter.slack.client import make_client
from firefighter.slack.posting import delivery_client
from firefighter.web import health_check, web_app

log = logging.getLogger(__name__)

BATCH = 2
"""Items one delivery thread leases at a time: few, so that one slow Slack answer holds up
little behind it and leases do not run out while their items wait."""

STOP_WITHIN = 20.0
"""Seconds a stopping process gives requests and deliveries in flight before it exits anyway
(a Slack call times out after 10 s); what is still leased then runs out with its lease."""

POLL_SECONDS = 0.2
"""How long the HTTP loop waits in one poll, hence how soon it sees that it must stop."""


class CannotListen(Exception):
    """The address to serve on cannot be used (taken, or not this machine's); one sentence."""


def listen(app: Any, *, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server bound to host:port, or CannotListen saying what to do instead."""
    from waitress.server import create_server

    try:
        # waitress's own cap, before the application: each endpoint caps at 1 MB itself.
        return create_server(
            app, host=host, port=port, threads=threads, max_request_body_size=SERVER_MAX_BODY
        )
    except ValueError:
        # waitress's answer to an address getaddrinfo cannot resolve.
        raise CannotListen(
            f"cannot listen on {host}:{port}: not an address; use an IP address or a host name "
            "of this machine, e.g. 127.0.0.1 or 0.0.0.0."
        ) from None
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
    # Only set the event: the loops notice it within a poll. Closing sockets here, under a
    # select() running in the same thread, made waitress fail with EBADF.
    def handler(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _busy(server: Any, socket_map: dict[int, Any]) -> bool:
    """Whether waitress still has a request being handled or an answer not yet sent."""
    from waitress.channel import HTTPChannel

    tasks = server.task_dispatcher
    if tasks.active_count or tasks.queue:
        return True
    return any(
        isinstance(channel, HTTPChannel) and (channel.requests or channel.total_outbufs_len)
        for channel in list(socket_map.values())
    )


def serve_http(server: Any, stop: threading.Event, *, within: float = STOP_WITHIN) -> float:
    """Run a waitress server until `stop` is set, then shut it down gracefully.

    waitress's own `run()` has no graceful stop, so this runs its loop a poll at a time. On
    stop the listening socket closes (new connections are refused, the load balancer moves
    on), requests in flight finish and their answers are sent, and then idle keep-alive
    connections are closed; after `within` seconds whatever is left is cut. Returns the
    seconds the stop took.
    """
    from waitress import wasyncore

    socket_map: dict[int, Any] = server._map
    use_poll = server.adj.asyncore_use_poll
    while not stop.is_set():
        wasyncore.loop(timeout=POLL_SECONDS, map=socket_map, use_poll=use_poll, count=1)
    # The listening socket only: the trigger that wakes this loop when a thread has an
    # answer ready, and the connections, stay in the map until they are done.
    wasyncore.dispatcher.close(server)
    deadline = time.monotonic() + within
    while _busy(server, socket_map) and time.monotonic() < deadline:
        wasyncore.loop(timeout=0.05, map=socket_map, use_poll=use_poll, count=1)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    wasyncore.close_all(socket_map)
    return within - max(deadline - time.monotonic(), 0)


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
    client = make_client(core.settings)
    bolt = build_app(core, client, process_before_response=core.settings.process_before_response)
    # Bound before any thread starts: a port in use is one line, and nothing to stop.
    server = listen(wsgi_app(core, bolt, metrics), host=host, port=port, threads=threads)
    stop = threading.Event()
    dispatcher: Dispatcher | None = None
    delivery: list[threading.Thread] = []
    if with_worker:
        dispatcher = build_dispatcher(core, delivery_client(core.settings))
        metrics.count_deliveries(dispatcher)
        delivery = start_threads(dispatcher, stop, core.settings.outbox_threads)
        start_schedules(core.scheduler(), stop)
        start_gameday_tick(core.gamedays(), stop)
    socket_mode = None
    if core.settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        socket_mode = SocketModeHandler(bolt, core.settings.slack_app_token)
        socket_mode.connect()  # type: ignore[no-untyped-call]
    _on_termination(stop)
    mode = "Socket Mode, health" if socket_mode else "POST /slack/events, GET /healthz"
    banner = (
        f"FireFighter serving on http://{host}:{server.effective_port} ({mode}), "
        f"{'with' if with_worker else 'without'} the outbox worker"
    )
    if console is not None:
        console.print(banner, highlight=False, soft_wrap=True)
    else:
        log.info(banner)
    drained = 0.0
    try:
        drained = serve_http(server, stop)
    finally:
        stopping = time.monotonic() - drained
        stop.set()
        if socket_mode is not None:
            # Socket Mode events are acknowledged as they are handled; closing says goodbye
            # on the WebSocket so Slack sends the next ones to another connection at once.
            socket_mode.close()  # type: ignore[no-untyped-call]
        if dispatcher is not None:
            # Deliveries stopped with the HTTP server: what is left of the budget is theirs.
            stop_delivery(dispatcher, delivery, within=max(STOP_WITHIN - drained, 1.0))
        core.close()
        log.info("serve stopped in %.1f s", time.monotonic() - stopping)


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
        surface = web_app(
            {},
            check_health=health_check(core.engine, core.factory, core.service.clock),
            metrics=metrics,
        )
        server = listen(surface, host=host, port=port, threads=2)
    dispatcher = build_dispatcher(core, delivery_client(core.settings))
    metrics.count_deliveries(dispatcher)
    stop = threading.Event()
    _on_termination(stop)
    start_schedules(core.scheduler(), stop)
    start_gameday_tick(core.gamedays(), stop)
    threads = start_threads(dispatcher, stop, core.settings.outbox_threads)
    if console is not None:
        where = (
            f"; /healthz and /metrics on http://{host}:{server.effective_port}"
            if server is not None
            else ""
        )
        console.print(
            f"FireFighter worker {dispatcher.worker_id} started, {len(threads)} threads{where}",
            highlight=False,
        )
    try:
        if server is not None:
            serve_http(server, stop, within=1.0)
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
