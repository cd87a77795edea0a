"""Cron schedules run by the worker: the weekly digest, the reminder pass, scheduled Game Days.

Each run is claimed in the database: the worker whose INSERT into `schedule_runs` wins
(unique on name and due time) runs it, in the same transaction, so with several workers every
run fires exactly once, and after a restart a run is neither repeated nor, within its
catch-up window, lost.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import transaction
from firefighter.db_outage import DatabaseWatch, unreachable
from firefighter.gameday.engine import GameDays
from firefighter.gameday.scheduled import (
    Gate,
    ScheduledGameDay,
    announce,
    scheduled,
    start_scheduled,
)
from firefighter.incidents import effects, followup_reminders, reminders
from firefighter.incidents.models import ScheduleRun
from firefighter.outbox import Clock, enqueue
from firefighter.settings import Settings

log = logging.getLogger(__name__)

DIGEST = "digest"
REMINDERS = "reminders"
JIRA_POLL = "jira_poll"
DIGEST_DAYS = 7
GAMEDAY_CATCH_UP = timedelta(minutes=15)
"""A scheduled Game Day starts at most this late (after downtime); later, that run is skipped."""

Action = Callable[[Session, datetime, datetime], None]
"""What a run does, inside the claiming transaction: (session, due_at, now)."""


@dataclass(frozen=True)
class Job:
    """A named cron schedule and what each of its runs does."""

    name: str
    cron: str
    action: Action
    catch_up: timedelta
    """How late a run may still fire (after downtime); older runs are skipped."""
    keep: timedelta | None = None
    """Claims older than this are deleted, for schedules that run every minute."""


def latest_due(cron: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The latest time at or before `now` matching `cron` in `zone`."""
    local = now.astimezone(zone)
    previous: datetime = croniter(cron, local).get_prev(datetime)
    # croniter's get_prev is strictly before its start: `now` itself may be a due time.
    following: datetime = croniter(cron, previous).get_next(datetime)
    return following if following <= local else previous


def enqueue_digest(
    session: Session, *, end: datetime, now: datetime, days: int = DIGEST_DAYS, reason: str
) -> int:
    """Queue a digest of the `days` days before `end`; returns the outbox item id."""
    item = enqueue(
        session,
        effects.DIGEST_POST,
        {"days": days, "end": end.isoformat(), "reason": reason},
        now=now,
    )
    session.flush()
    return item.id


class Scheduler:
    """Runs the due schedules when `run_due()` is called, as often as the worker likes."""

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        clock: Clock,
        *,
        worker_id: str | None = None,
        gamedays: GameDays | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.factory = factory
        # Scheduled Game Days (files with a `schedule`), skipped while the chaos gate is closed.
        self.gamedays = gamedays
        self.gate = gate
        self.clock = clock
        self.zone = settings.zone
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.policy = reminders.Policy.from_settings(settings)
        self.jobs: list[Job] = [
            Job(
                REMINDERS,
                "* * * * *",
                self._remind,
                catch_up=timedelta(minutes=2),
                keep=timedelta(days=1),
            )
        ]
        if settings.announce_digest_channel:
            self.jobs.append(
                Job(
                    DIGEST,
                    settings.digest_cron,
                    self._digest,
                    catch_up=timedelta(hours=settings.digest_catch_up_hours),
                )
            )
        if settings.jira_enabled and not settings.jira_webhook_secret:
            minutes = settings.jira_poll_minutes
            self.jobs.append(
                Job(
                    JIRA_POLL,
                    f"*/{minutes} * * * *" if minutes < 60 else "0 * * * *",
                    self._jira_poll,
                    catch_up=timedelta(minutes=minutes),
                    keep=timedelta(days=1),
                )
            )
        # The runs this process already claimed or saw claimed: no query until the next one.
        self._settled: dict[str, datetime] = {}

    def _digest(self, session: Session, due_at: datetime, now: datetime) -> None:
        # The period ends at the due time, so a digest sent late still covers the same week.
        enqueue_digest(session, end=due_at, now=now, reason="schedule")

    def _jira_poll(self, session: Session, due_at: datetime, now: datetime) -> None:
        # The search runs in the worker, not in this claiming transaction.
        enqueue(session, effects.FOLLOWUP_JIRA_POLL, {"due": due_at.isoformat()}, now=now)

    def _remind(self, session: Session, due_at: datetime, now: datetime) -> None:
        nudges = reminders.run(session, self.policy, now)
        nudges += followup_reminders.run(session, self.policy, now)
        if nudges:
            log.info("reminders: %s", ", ".join(f"{n.kind}@INC-{n.incident_id}" for n in nudges))

    def run_due(self) -> list[str]:
        """Claim and run every schedule whose latest due time has not run yet; their names."""
        now = self.clock()
        fired = []
        for job in self.jobs:
            due = latest_due(job.cron, now, self.zone)
            if self._settled.get(job.name) == due:
                continue
            if now - due > job.catch_up:
                log.debug("%s run of %s is past its catch-up window; skipped", job.name, due)
                self._settled[job.name] = due
                continue
            try:
                won = self._claim(job, due, now)
            except Exception as error:  # one failing schedule must not stop the others
                if unreachable(error):
                    raise  # the loop backs off quietly (see run_forever)
                log.exception("schedule %s (due %s) failed; it will be tried again", job.name, due)
                continue
            self._settled[job.name] = due
            if won:
                fired.append(job.name)
        return fired + self._gamedays_due(now)

    def _gamedays_due(self, now: datetime) -> list[str]:
        """Announce, then start (once across workers), each scheduled Game Day that is due."""
        if self.gamedays is None or self.gate is None:
            return []
        try:
            items = scheduled(self.gamedays)
        except Exception:
            log.exception("could not read the scheduled Game Days")
            return []
        fired: list[str] = []
        for item in items:
            upcoming: datetime = croniter(item.cron, now.astimezone(self.zone)).get_next(datetime)
            if upcoming - now <= item.announce_before:
                job = Job(
                    f"gameday-announce:{item.id}",
                    item.cron,
                    self._announcer(item),
                    catch_up=item.announce_before,
                )
                fired += self._once(job, upcoming, now)
            due = latest_due(item.cron, now, self.zone)
            if due >= item.loaded_at and now - due <= GAMEDAY_CATCH_UP:
                job = Job(f"gameday:{item.id}", item.cron, self._starter(item), GAMEDAY_CATCH_UP)
                fired += self._once(job, due, now)
        return fired

    @staticmethod
    def _announcer(item: ScheduledGameDay) -> Action:
        def tell(session: Session, due: datetime, now: datetime) -> None:
            announce(session, item, due, now)

        return tell

    def _starter(self, item: ScheduledGameDay) -> Action:
        gamedays, gate = self.gamedays, self.gate
        assert gamedays is not None and gate is not None

        def start(session: Session, due: datetime, now: datetime) -> None:
            log.info("%s", start_scheduled(gamedays, session, item, due=due, now=now, gate=gate))

        return start

    def _once(self, job: Job, due: datetime, now: datetime) -> list[str]:
        if self._settled.get(job.name) == due:
            return []
        try:
            won = self._claim(job, due, now)
        except Exception:
            log.exception("schedule %s (due %s) failed; it will be tried again", job.name, due)
            return []
        self._settled[job.name] = due
        return [job.name] if won else []

    def _claim(self, job: Job, due: datetime, now: datetime) -> bool:
        """Insert the run and do it in one transaction; False if another worker has it."""
        try:
            with transaction(self.factory) as session:
                session.add(
                    ScheduleRun(
                        name=job.name, due_at=due, claimed_at=now, claimed_by=self.worker_id
                    )
                )
                try:
                    session.flush()
                except IntegrityError:
                    raise _Taken() from None
                job.action(session, due, now)
                if job.keep is not None:
                    session.execute(
                        delete(ScheduleRun).where(
                            ScheduleRun.name == job.name, ScheduleRun.due_at < now - job.keep
                        )
                    )
        except _Taken:
            return False
        return True

    def run_forever(self, stop: threading.Event, interval: float = 5.0) -> None:
        """Call `run_due` every `interval` seconds until `stop` is set."""
        watch = DatabaseWatch("schedules", log, base=interval)
        while not stop.is_set():
            wait: float | None = None
            try:
                self.run_due()
                watch.succeeded()
            except Exception as error:  # the database may blink; keep the worker alive
                wait = watch.failed(error, "schedule pass failed")
            stop.wait(interval if wait is None else max(wait, interval))


class _Taken(Exception):
    """Another worker claimed the run first."""


def start_in_thread(
    scheduler: Scheduler, stop: threading.Event | None = None, *, interval: float = 5.0
) -> tuple[threading.Thread, threading.Event]:
    """Run the schedules in a daemon thread; set the returned event to stop it."""
    stop = stop or threading.Event()
    thread = threading.Thread(
        target=scheduler.run_forever,
        args=(stop, interval),
        name="schedules",
        daemon=True,
    )
    thread.start()
    return thread, stop
