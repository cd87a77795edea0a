"""Scheduled Game Days: announced beforehand, started once with two workers, skipped while
the chaos gate is closed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from firefighter.bootstrap import Core, build_core
from firefighter.gameday.models import LOADED, RUNNING, GameDay
from firefighter.gameday.spec import parse_spec
from firefighter.incidents.effects import GAMEDAY_ANNOUNCE
from firefighter.outbox.models import OutboxItem
from firefighter.schedules import Job, Scheduler
from firefighter.settings import Settings
from tests.conftest import FakeClock

THURSDAY_10 = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
FILE = """
name: Weekly payments drill
mode: dungeon
schedule: "0 10 * * 4"
announce_before: 1h
teams:
  red: [U0RED1, U0RED2]
scenarios:
  - title: Card payments failing
    team: red
    severity: SEV2
    offset: 0s
    component: payments
    symptom: Error rate above 5% on the payments API.
    mitigate_within: 20m
    truth: A bad deploy.
"""


class RacingScheduler(Scheduler):
    """Waits for the other worker before each claim, so both INSERTs really race."""

    def __init__(self, core: Core, barrier: threading.Barrier) -> None:
        super().__init__(
            core.settings,
            core.factory,
            core.service.clock,
            worker_id=f"w{id(core)}",
            gamedays=core.gamedays(),
            gate=core.chaos.gate,
        )
        self.jobs = []  # only the scheduled Game Days
        self.barrier = barrier

    def _claim(self, job: Job, due: datetime, now: datetime) -> bool:
        self.barrier.wait(timeout=10)
        return super()._claim(job, due, now)


def _announcements(core: Core) -> list[dict[str, Any]]:
    with core.factory() as session:
        return [
            dict(item.payload)
            for item in session.scalars(
                select(OutboxItem)
                .where(OutboxItem.kind == GAMEDAY_ANNOUNCE)
                .order_by(OutboxItem.id)
            )
        ]


def _gamedays(core: Core) -> list[tuple[str, str | None]]:
    with core.factory() as session:
        return [(g.status, g.source) for g in session.scalars(select(GameDay).order_by(GameDay.id))]


def _race(settings: Settings, clock: FakeClock) -> list[list[str]]:
    cores = [build_core(settings, clock=clock) for _ in range(2)]
    barrier = threading.Barrier(2)
    fired: list[list[str]] = []
    errors: list[BaseException] = []

    def worker(core: Core) -> None:
        try:
            fired.append(RacingScheduler(core, barrier).run_due())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(c,)) for c in cores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for core in cores:
        core.close()
    assert not errors
    return fired


def test_a_scheduled_game_day_is_announced_and_started_once_by_two_workers(
    core: Core, settings: Settings, clock: FakeClock
) -> None:
    settings.gameday_channel = "C0GAMEDAY"
    clock.tick = timedelta(0)
    clock.now = THURSDAY_10 - timedelta(hours=2)
    spec = parse_spec(FILE, severities=settings.severity_names)
    core.gamedays().load(spec, source="weekly.yaml", actor=None)

    assert _race(settings, clock) == [[], []]  # two hours before: nothing yet
    clock.now = THURSDAY_10 - timedelta(minutes=50)
    assert sorted(_race(settings, clock)) == [[], ["gameday-announce:1"]]
    [told] = _announcements(core)
    assert told["skipped"] is None and told["starts_at"] == THURSDAY_10.isoformat()

    clock.now = THURSDAY_10 + timedelta(seconds=20)
    assert sorted(_race(settings, clock)) == [[], ["gameday:1"]]
    # The template stays loaded for next week; one copy of it runs.
    assert _gamedays(core) == [(LOADED, "weekly.yaml"), (RUNNING, "schedule:1")]
    assert _race(settings, clock) == [[], []]  # the same due time never starts twice


def test_a_scheduled_game_day_is_skipped_while_the_gate_is_closed(
    core: Core, settings: Settings, clock: FakeClock
) -> None:
    settings.gameday_channel = "C0GAMEDAY"
    clock.tick = timedelta(0)
    clock.now = THURSDAY_10 - timedelta(minutes=5)
    core.gamedays().load(
        parse_spec(FILE, severities=settings.severity_names), source=None, actor=None
    )
    real = core.service.declare(
        title="Payments down", severity="SEV1", actor="U1", component="payments"
    )
    clock.now = THURSDAY_10
    scheduler = core.scheduler()
    scheduler.jobs = []
    assert "gameday:1" in scheduler.run_due()
    assert [status for status, _ in _gamedays(core)] == [LOADED]  # nothing started
    skipped = _announcements(core)[-1]
    assert skipped["skipped"] and real.reference in skipped["skipped"]
