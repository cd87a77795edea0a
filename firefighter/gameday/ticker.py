"""The Game Day tick, run by the worker next to the outbox: injections, hints, the board.

Each step is claimed in the database (see `engine`), so any number of workers may tick.
"""

from __future__ import annotations

import logging
import threading

from firefighter.db_outage import DatabaseWatch
from firefighter.gameday.engine import GameDays

log = logging.getLogger(__name__)


def run_forever(gamedays: GameDays, stop: threading.Event, interval: float = 1.0) -> None:
    """Tick every `interval` seconds until `stop` is set."""
    watch = DatabaseWatch("game day ticker", log, base=interval)
    while not stop.is_set():
        wait: float | None = None
        try:
            for note in gamedays.tick():
                log.info("game day: %s", note)
            watch.succeeded()
        except Exception as error:  # the database may blink; keep the worker alive
            wait = watch.failed(error, "game day tick failed")
        stop.wait(interval if wait is None else max(wait, interval))


def start_in_thread(
    gamedays: GameDays, stop: threading.Event | None = None, *, interval: float = 1.0
) -> tuple[threading.Thread, threading.Event]:
    """Tick in a daemon thread; set the returned event to stop it."""
    stop = stop or threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(gamedays, stop, interval), name="gameday-tick", daemon=True
    )
    thread.start()
    return thread, stop
