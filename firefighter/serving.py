"""Long-running processes: `firefighter serve` and `firefighter worker`."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from rich.console import Console

from firefighter.bootstrap import Core, build_app, build_dispatcher, wsgi_app
from firefighter.gameday.ticker import start_in_thread as start_gameday_tick
from firefighter.logs import configure_logging
from firefighter.observability import Metrics
from firefighter.outbox import Dispatcher
from firefighter.schedules import start_in_thread as start_schedules
from firefighter.slack.client import make_client
from firefighter.slack.posting import delivery_client

log = logging.getLogger(__name__)

BATCH = 2
"""Items one delivery thread leases at a time: few, so that one slow Slack answer holds up
little behind it and leases do not run out while their items wait."""


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


def _on_termination(stop: threading.Event, also: list[object]) -> None:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        for server in also:
            close = getattr(server, "close", None)
            if callable(close):
                close()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


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
    from waitress.server import create_server

    configure_logging()
    metrics = Metrics()
    metrics.watch_outbox(core.factory, core.service.clock)
    client = make_client(core.settings)
    bolt = build_app(core, client, process_before_response=core.settings.process_before_response)
    stop = threading.Event()
    if with_worker:
        dispatcher = build_dispatcher(core, delivery_client(core.settings))
        metrics.count_deliveries(dispatcher)
        start_threads(dispatcher, stop, core.settings.outbox_threads)
        start_schedules(core.scheduler(), stop)
        start_gameday_tick(core.gamedays(), stop)
    server = create_server(wsgi_app(core, bolt, metrics), host=host, port=port, threads=threads)
    socket_mode = None
    if core.settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        socket_mode = SocketModeHandler(bolt, core.settings.slack_app_token)
        socket_mode.connect()  # type: ignore[no-untyped-call]
    _on_termination(stop, [server])
    if console is not None:
        mode = "Socket Mode, health" if socket_mode else "POST /slack/events, GET /healthz"
        worker = "with" if with_worker else "without"
        console.print(
            f"FireFighter serving on http://{host}:{server.effective_port} ({mode}), "
            f"{worker} the outbox worker",
            highlight=False,
        )
    try:
        server.run()
    finally:
        stop.set()
        if socket_mode is not None:
            socket_mode.close()  # type: ignore[no-untyped-call]
        core.close()


def run_worker(core: Core, *, console: Console | None = None) -> None:
    """Drain the outbox until SIGTERM/SIGINT."""
    configure_logging()
    dispatcher = build_dispatcher(core, delivery_client(core.settings))
    stop = threading.Event()
    _on_termination(stop, [])
    start_schedules(core.scheduler(), stop)
    start_gameday_tick(core.gamedays(), stop)
    threads = start_threads(dispatcher, stop, core.settings.outbox_threads)
    if console is not None:
        console.print(
            f"FireFighter worker {dispatcher.worker_id} started, {len(threads)} threads",
            highlight=False,
        )
    try:
        # A timed wait, so that SIGTERM's handler runs promptly in this main thread.
        while not stop.wait(1.0):
            pass
        for thread in threads:
            thread.join(timeout=30)
    finally:
        core.close()
