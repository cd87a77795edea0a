"""Schedules: the digest fires once per due time, across restarts and racing workers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firefighter.bootstrap import Core, build_core
from firefighter.incidents import effects
from firefighter.incidents.models import ScheduleRun
from firefighter.outbox.models import OutboxItem
from firefighter.schedules import DIGEST, REMINDERS, Job, Scheduler, latest_due
from firefighter.settings import Settings
from tests.conftest import FakeClock

PARIS = ZoneInfo("Europe/Paris")
# Monday 9 March 2026, 09:00 in Paris (UTC+1 in winter).
DUE = datetime(2026, 3, 9, 9, 0, tzinfo=PARIS)


@pytest.fixture
def digest_core(core: Core, clock: FakeClock) -> Core:
    core.settings.incidents_channel = "C_INCIDENTS"
    core.settings.timezone = "Europe/Paris"
    clock.tick = timedelta(0)
    return core


def digests(core: Core) -> list[dict[str, Any]]:
    with core.factory() as session:
        return [
            dict(p)
            for p in session.scalars(
                select(OutboxItem.payload).where(OutboxItem.kind == effects.DIGEST_POST)
            )
        ]


def test_latest_due_in_the_configured_zone() -> None:
    cron = "0 9 * * 1"
    assert latest_due(cron, DUE, PARIS) == DUE  # a due time is due at that very moment
    assert latest_due(cron, DUE - timedelta(seconds=1), PARIS) == DUE - timedelta(days=7)
    assert latest_due(cron, DUE + timedelta(days=2), PARIS) == DUE
    # After the switch to summer time (29 March) 09:00 in Paris is 07:00 UTC.
    summer = latest_due(cron, datetime(2026, 3, 30, 12, 0, tzinfo=UTC), PARIS)
    assert summer.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_digest_fires_once_and_a_restart_does_not_repeat_it(
    digest_core: Core, clock: FakeClock
) -> None:
    clock.now = DUE - timedelta(minutes=1)
    scheduler = digest_core.scheduler()
    assert DIGEST not in scheduler.run_due()
    assert digests(digest_core) == []
    clock.now = DUE
    assert DIGEST in scheduler.run_due()
    clock.now = DUE + timedelta(minutes=3)
    assert DIGEST not in scheduler.run_due()
    assert DIGEST not in digest_core.scheduler().run_due()  # a restarted worker
    [payload] = digests(digest_core)
    assert payload["days"] == 7
    assert datetime.fromisoformat(payload["end"]) == DUE
    clock.now = DUE + timedelta(days=7)
    assert DIGEST in digest_core.scheduler().run_due()
    assert len(digests(digest_core)) == 2


@pytest.mark.parametrize(
    ("down_for", "sent"), [(timedelta(hours=5, minutes=59), 1), (timedelta(hours=6, minutes=1), 0)]
)
def test_a_digest_missed_while_down_is_sent_within_the_catch_up_window(
    digest_core: Core, clock: FakeClock, down_for: timedelta, sent: int
) -> None:
    clock.now = DUE + down_for
    digest_core.scheduler().run_due()
    digest_core.scheduler().run_due()
    assert len(digests(digest_core)) == sent


def test_no_digest_without_a_channel(core: Core, clock: FakeClock) -> None:
    clock.now = DUE
    scheduler = core.scheduler()
    assert [job.name for job in scheduler.jobs] == [REMINDERS]


def test_the_reminder_pass_runs_every_minute_and_old_claims_go(
    digest_core: Core, clock: FakeClock
) -> None:
    clock.now = DUE - timedelta(minutes=30)
    digest_core.service.declare(title="Checkout down", severity="SEV1", actor="U1")
    scheduler = digest_core.scheduler()
    for minute in range(-30, 1):
        clock.now = DUE + timedelta(minutes=minute, seconds=20)
        scheduler.run_due()
    with digest_core.factory() as session:
        kinds = session.scalars(
            select(OutboxItem.kind).where(OutboxItem.kind.like("reminder.%"))
        ).all()
        runs = session.scalar(
            select(func.count()).select_from(ScheduleRun).where(ScheduleRun.name == REMINDERS)
        )
    assert sorted(kinds) == ["reminder.roles", "reminder.update"]
    assert runs == 31
    clock.now = DUE + timedelta(days=2)
    scheduler.run_due()
    with digest_core.factory() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(ScheduleRun).where(ScheduleRun.name == REMINDERS)
            )
            == 1
        )


class RacingScheduler(Scheduler):
    """Waits for the other worker before claiming, then holds its transaction a moment."""

    def __init__(self, core: Core, barrier: threading.Barrier) -> None:
        super().__init__(core.settings, core.factory, core.service.clock)
        self.barrier = barrier

    def _claim(self, job: Job, due: datetime, now: datetime) -> bool:
        self.barrier.wait(timeout=10)
        return super()._claim(job, due, now)

    def _digest(self, session: Session, due_at: datetime, now: datetime) -> None:
        # Keeps the winner's transaction open so the loser's INSERT really overlaps it.
        time.sleep(0.2)
        super()._digest(session, due_at, now)


def test_two_workers_fire_one_digest(settings: Settings, clock: FakeClock) -> None:
    settings.incidents_channel = "C_INCIDENTS"
    settings.timezone = "Europe/Paris"
    clock.tick = timedelta(0)
    clock.now = DUE
    cores = [build_core(settings, clock=clock) for _ in range(2)]
    barrier = threading.Barrier(2)
    fired: list[list[str]] = []
    errors: list[BaseException] = []

    def worker(core: Core) -> None:
        try:
            scheduler = RacingScheduler(core, barrier)
            scheduler.jobs = [job for job in scheduler.jobs if job.name == DIGEST]
            fired.append(scheduler.run_due())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(core,)) for core in cores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert not errors
        assert sorted(fired) == [[], [DIGEST]]
        assert len(digests(cores[0])) == 1
    finally:
        for core in cores:
            core.close()


def test_schedule_and_reminder_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from firefighter.settings import ConfigError, load_settings

    defaults = load_settings(_env_file=None)
    assert defaults.digest_cron == "0 9 * * 1" and defaults.digest_catch_up_hours == 6
    assert defaults.failure_classes[0] == "change or deploy" and len(defaults.failure_classes) == 6
    assert (defaults.role_reminder_minutes, defaults.snooze_minutes) == (10, 30)
    monkeypatch.setenv("FIREFIGHTER_DIGEST_CRON", "30 8 * * 1-5")
    monkeypatch.setenv("FIREFIGHTER_FAILURE_CLASSES", "deploy, network , human error")
    configured = load_settings(_env_file=None)
    assert configured.digest_cron == "30 8 * * 1-5"
    assert configured.failure_classes == ["deploy", "network", "human error"]
    monkeypatch.setenv("FIREFIGHTER_DIGEST_CRON", "every monday")
    with pytest.raises(ConfigError) as bad:
        load_settings(_env_file=None)
    assert str(bad.value).startswith("FIREFIGHTER_DIGEST_CRON: expected a five-field cron")
    monkeypatch.setenv("FIREFIGHTER_DIGEST_CRON", "0 9 * * 1")
    monkeypatch.setenv("FIREFIGHTER_FAILURE_CLASSES", "data,Data")
    with pytest.raises(ConfigError) as bad:
        load_settings(_env_file=None)
    assert str(bad.value).startswith("FIREFIGHTER_FAILURE_CLASSES: expected")
