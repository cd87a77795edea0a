"""While the database is unreachable the worker backs off and says so once, then once when back."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.exc import OperationalError

from firefighter.bootstrap import Core
from firefighter.db import utcnow
from firefighter.db_outage import DatabaseWatch
from firefighter.gameday import ticker
from firefighter.gameday.engine import GameDays
from firefighter.incidents import effects
from firefighter.outbox import Message
from firefighter.outbox.models import OutboxItem
from firefighter.schedules import Scheduler


def unreachable_url(db_url: str, tmp_path: Path) -> str:
    """Where the database is not: a refused port, or a file in a folder that does not exist."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'gone' / 'firefighter.db'}"
    return "postgresql+psycopg://postgres@127.0.0.1:9/firefighter?connect_timeout=1"


def test_worker_backs_off_and_logs_one_line_each_way(
    core: Core, db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    delivered: list[Message] = []
    dispatcher = core.dispatcher()
    dispatcher.clock = utcnow
    for kind in effects.ALL:
        dispatcher.register(kind, delivered.append)
    good = core.factory.kw["bind"]
    bad = create_engine(unreachable_url(db_url, tmp_path))
    polls = 0

    @event.listens_for(bad, "do_connect")
    def counting_attempts(*_args: object) -> None:
        # Each poll while the database is away is one attempt to connect to it.
        nonlocal polls
        polls += 1

    stop = threading.Event()
    caplog.set_level(logging.INFO, logger="firefighter")
    # Three delivery threads, as `firefighter worker` runs: still one line each way.
    workers = [
        threading.Thread(target=dispatcher.run_forever, args=(stop, 0.05), daemon=True)
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.3)
        core.factory.configure(bind=bad)  # the database goes away
        polls = 0
        time.sleep(3.0)
        away_polls = polls
        core.factory.configure(bind=good)  # and comes back
        incident = core.service.declare(title="DNS", severity="SEV2", actor="U1")
        deadline = time.monotonic() + 10
        while not delivered and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for worker in workers:
            worker.join(5)
        bad.dispose()
    # Polling every 0.05 s would be 180 polls in 3 s; backing off (0.05, 0.1, 0.2, …) a dozen.
    assert away_polls <= 15, away_polls
    assert [m.incident_id for m in delivered] == [incident.id]
    lines = [r for r in caplog.records if r.name.startswith("firefighter")]
    down = [r.getMessage() for r in lines if "unreachable" in r.getMessage()]
    back = [r.getMessage() for r in lines if "is back" in r.getMessage()]
    assert len(down) == 1 and down[0].startswith("outbox worker: the database is unreachable")
    assert len(back) == 1 and back[0].startswith("outbox worker: the database is back after")
    assert not [r for r in lines if r.exc_info], "no traceback while the database is away"
    with core.factory() as session:
        assert session.scalar(select(OutboxItem.delivered_at).limit(1)) is not None


def test_schedules_and_game_day_ticker_say_it_once(
    core: Core, db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = create_engine(unreachable_url(db_url, tmp_path))
    core.factory.configure(bind=bad)
    scheduler = Scheduler(core.settings, core.factory, utcnow)
    gamedays = GameDays(core.settings, core.service)
    caplog.set_level(logging.INFO, logger="firefighter")
    stop = threading.Event()
    loops = [
        threading.Thread(target=scheduler.run_forever, args=(stop, 0.05), daemon=True),
        threading.Thread(target=ticker.run_forever, args=(gamedays, stop, 0.05), daemon=True),
    ]
    for loop in loops:
        loop.start()
    time.sleep(2.0)
    stop.set()
    for loop in loops:
        loop.join(5)
    bad.dispose()
    lines = [r for r in caplog.records if r.name.startswith("firefighter")]
    down = sorted(r.getMessage().split(":")[0] for r in lines if "unreachable" in r.getMessage())
    assert down == ["game day ticker", "schedules"]
    assert not [r for r in lines if r.exc_info], "no traceback while the database is away"


def test_a_poll_begun_before_the_outage_was_seen_does_not_count_as_the_return(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = DatabaseWatch("outbox worker", logging.getLogger("firefighter.test"))
    caplog.set_level(logging.INFO, logger="firefighter")
    began = time.monotonic()  # one thread starts a poll on the database as it was
    watch.failed(OperationalError("SELECT 1", {}, Exception("connection refused")))
    watch.succeeded(began)  # ...and finishes it after another thread saw the outage
    assert watch.away
    watch.succeeded(time.monotonic())  # a poll begun since then reached the database
    messages = [r.getMessage() for r in caplog.records]
    assert [m.split(":")[1].split("(")[0].strip() for m in messages] == [
        "the database is unreachable",
        "the database is back after 0 s",
    ]
