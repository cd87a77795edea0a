"""Running Game Days: load a file, start it, let the tick inject drills, score, and end it.

Every change is one transaction that also enqueues its Slack effects (the outbox); nothing
here talks to Slack. Steps (themes, injections, hints, the end) are claimed by the UPDATE
that marks them done, inside the transaction that does their work, so with several workers
each step happens exactly once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from firefighter.db import transaction
from firefighter.gameday.board import Board, queue_redraw, read_board
from firefighter.gameday.models import (
    END,
    ENDED,
    HINT,
    INJECT,
    LOADED,
    RUNNING,
    THEME,
    GameDay,
    GameDayStep,
)
from firefighter.gameday.plan import plan_steps
from firefighter.gameday.spec import GameDaySpec, Scenario, from_stored
from firefighter.incidents import effects, lifecycle
from firefighter.incidents.errors import IncidentError, InvalidInput, NotFound
from firefighter.incidents.models import Incident
from firefighter.incidents.service import IncidentService
from firefighter.incidents.wording import Command, listed
from firefighter.outbox import enqueue
from firefighter.settings import Settings

log = logging.getLogger(__name__)


class GameDayRefused(IncidentError):
    """A Game Day command that cannot be done now; the message says what to do instead."""


class _Taken(Exception):
    """Another worker claimed the step first."""


@dataclass(frozen=True)
class DrillContext:
    """What the Slack adapter needs to post in a drill's channel."""

    gameday: GameDay
    spec: GameDaySpec
    index: int
    scenario: Scenario


class GameDays:
    """Commands and the tick of Game Days, each one transaction."""

    def __init__(self, settings: Settings, service: IncidentService) -> None:
        self.factory = service.factory
        self.service = service
        self.settings = settings

    def now(self) -> datetime:
        """The service's clock (a test's fake clock, the demo's fast one)."""
        return self.service.clock()

    # ---- reading ---------------------------------------------------------------------

    def all(self) -> list[GameDay]:
        """Every Game Day, newest first."""
        with self.factory() as session:
            return list(session.scalars(select(GameDay).order_by(GameDay.id.desc())))

    def get(self, gameday_id: int) -> GameDay:
        """The Game Day with this id, or NotFound."""
        with self.factory() as session:
            found = session.get(GameDay, gameday_id)
        if found is None:
            raise NotFound(f"There is no Game Day #{gameday_id}.")
        return found

    def _find(self, session: Session, name: str | None, status: str) -> GameDay:
        query = select(GameDay).where(GameDay.status == status).order_by(GameDay.id.desc())
        if name:
            # `#3` (or `3`) is an id, anything else a name, in any case.
            wanted = name.strip().lstrip("#")
            if wanted.isdigit():
                query = query.where(GameDay.id == int(wanted))
            else:
                query = query.where(func.lower(GameDay.name) == wanted.lower())
        found = list(session.scalars(query))
        if len(found) == 1 or (found and name):
            return found[0]  # the newest of that name
        if not found:
            shown = name if name is None or len(name) <= 60 else name[:59] + "…"
            what = f"called {shown!r} " if name else ""
            if status == RUNNING:
                raise NotFound(f"No Game Day {what}is running.")
            raise NotFound(
                f"No Game Day {what}is loaded. Load its file first: "
                "`firefighter gameday load FILE`."
            )
        names = ", ".join(f"{g.name!r}" for g in found)
        raise GameDayRefused(f"Several Game Days are {status} ({names}); say which one.")

    def context(self, incident_id: int) -> DrillContext | None:
        """The Game Day and scenario a drill was injected for, or None."""
        with self.factory() as session:
            row = session.execute(
                select(GameDayStep, GameDay)
                .join(GameDay, GameDay.id == GameDayStep.gameday_id)
                .where(GameDayStep.incident_id == incident_id, GameDayStep.kind == INJECT)
            ).first()
        if row is None:
            return None
        step, gameday = row
        spec = from_stored(gameday.spec)
        index = int(step.scenario or 0)
        return DrillContext(gameday, spec, index, spec.scenarios[index])

    def running_with(self, component: str) -> int | None:
        """The running Game Day one of whose scenarios plays `component`, or None."""
        with self.factory() as session:
            running = list(session.scalars(select(GameDay).where(GameDay.status == RUNNING)))
        for gameday in running:
            if any(s.component == component for s in from_stored(gameday.spec).scenarios):
                return gameday.id
        return None

    def invitees(self, incident_id: int) -> list[str]:
        """Who a Game Day drill invites: its team (users or a user group) and facilitators."""
        found = self.context(incident_id)
        if found is None:
            return []
        team = found.spec.team(found.scenario.team)
        return list(dict.fromkeys([*team.ids, *found.spec.facilitators]))

    # ---- commands --------------------------------------------------------------------

    def load(self, spec: GameDaySpec, *, source: str | None, actor: str | None) -> GameDay:
        """Store a validated file; a Game Day of the same name not started yet is replaced."""
        now = self.now()
        with transaction(self.factory) as session:
            running = session.scalar(
                select(GameDay).where(
                    func.lower(GameDay.name) == spec.name.lower(), GameDay.status == RUNNING
                )
            )
            if running is not None:
                raise GameDayRefused(
                    f"Game Day {spec.name!r} is running; stop it before loading it again."
                )
            gameday = session.scalar(
                select(GameDay).where(
                    func.lower(GameDay.name) == spec.name.lower(), GameDay.status == LOADED
                )
            )
            if gameday is None:
                gameday = GameDay(name=spec.name, status=LOADED)
                session.add(gameday)
            gameday.mode = spec.mode
            gameday.spec = spec.model_dump(mode="json")
            gameday.source = source[:500] if source else None
            gameday.loaded_at = now
            gameday.loaded_by = actor
            session.flush()
            return gameday

    def _check_facilitator(self, spec: GameDaySpec, actor: str | None, what: str) -> None:
        allowed = [*spec.facilitators, *self.settings.admins]
        if actor is None or not spec.facilitators or actor in allowed:
            return
        raise GameDayRefused(
            "Only the facilitators of this Game Day (", *listed(allowed), f") may {what} it."
        )

    def start(self, name: str | None, *, actor: str | None) -> GameDay:
        """Start a loaded Game Day: schedule its steps and post its scoreboard."""
        channel = self.settings.gameday_channel
        now = self.now()
        with transaction(self.factory) as session:
            running = session.scalar(select(GameDay).where(GameDay.status == RUNNING))
            if running is not None:
                raise GameDayRefused(
                    f"Game Day {running.name!r} is running; stop it first (",
                    Command("gameday stop"),
                    ").",
                )
            # Which Game Day first: a name nobody loaded is the mistake to hear about.
            gameday = self._find(session, name, LOADED)
            if not channel:
                raise GameDayRefused(
                    "No Game Day channel is configured: set FIREFIGHTER_GAMEDAY_CHANNEL to the "
                    "channel where drills are announced and the scoreboard is shown."
                )
            spec = from_stored(gameday.spec)
            self._check_facilitator(spec, actor, "start")
            self.start_in(session, gameday, spec, actor=actor, channel=channel, now=now)
            session.flush()
            session.refresh(gameday)
            return gameday

    def start_in(
        self,
        session: Session,
        gameday: GameDay,
        spec: GameDaySpec,
        *,
        actor: str | None,
        channel: str,
        now: datetime,
    ) -> None:
        """Mark a loaded Game Day running, schedule its steps and queue its board."""
        claimed = session.execute(
            update(GameDay)
            .where(GameDay.id == gameday.id, GameDay.status == LOADED)
            .values(
                status=RUNNING,
                started_at=now,
                started_by=actor,
                channel_id=channel,
                board_mark="",
                board_queued_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            raise GameDayRefused(f"Game Day {gameday.name!r} was started meanwhile.")
        for step in plan_steps(spec, now):
            step.gameday_id = gameday.id
            session.add(step)
        # The one message every later redraw updates in place.
        enqueue(session, effects.GAMEDAY_BOARD, {"gameday_id": gameday.id, "create": True}, now=now)

    def stop(self, name: str | None, *, actor: str | None) -> GameDay:
        """End the running Game Day now: final board, chart, truths and report follow."""
        now = self.now()
        with transaction(self.factory) as session:
            gameday = self._find(session, name, RUNNING)
            self._check_facilitator(from_stored(gameday.spec), actor, "stop")
            if not self._end(session, gameday.id, actor, now):
                raise GameDayRefused(f"Game Day {gameday.name!r} has just ended.")
            session.refresh(gameday)
            return gameday

    def _end(self, session: Session, gameday_id: int, actor: str | None, now: datetime) -> bool:
        ended = session.execute(
            update(GameDay)
            .where(GameDay.id == gameday_id, GameDay.status == RUNNING)
            .values(status=ENDED, ended_at=now, ended_by=actor)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if ended != 1:
            return False
        payload = {"gameday_id": gameday_id}
        enqueue(session, effects.GAMEDAY_BOARD, payload, now=now)
        drills = session.scalars(
            select(GameDayStep).where(
                GameDayStep.gameday_id == gameday_id,
                GameDayStep.kind == INJECT,
                GameDayStep.incident_id.is_not(None),
            )
        )
        for step in drills:
            enqueue(
                session,
                effects.GAMEDAY_REVEAL,
                {**payload, "incident_id": step.incident_id, "scenario": step.scenario},
                incident_id=step.incident_id,
                now=now,
            )
        enqueue(session, effects.GAMEDAY_CHART, payload, now=now)
        enqueue(session, effects.GAMEDAY_REPORT, payload, now=now)
        return True

    # ---- the tick --------------------------------------------------------------------

    def tick(self) -> list[str]:
        """Do what is due in every running Game Day; returns what was done, for the log."""
        with self.factory() as session:
            running = list(session.scalars(select(GameDay.id).where(GameDay.status == RUNNING)))
        done: list[str] = []
        for gameday_id in running:
            done += self._due_steps(gameday_id)
            if self._finished(gameday_id):
                with transaction(self.factory) as session:
                    if self._end(session, gameday_id, None, self.now()):
                        done.append(f"ended Game Day #{gameday_id}: every drill is closed")
            interval = timedelta(seconds=self.settings.gameday_board_seconds)
            if queue_redraw(self.factory, gameday_id, self.now(), interval):
                done.append(f"scoreboard of Game Day #{gameday_id} queued")
        return done

    def _due_steps(self, gameday_id: int) -> list[str]:
        now = self.now()
        with self.factory() as session:
            gameday = session.get(GameDay, gameday_id)
            if gameday is None or gameday.status != RUNNING:
                return []
            spec = from_stored(gameday.spec)
            due = list(
                session.scalars(
                    select(GameDayStep)
                    .where(
                        GameDayStep.gameday_id == gameday_id,
                        GameDayStep.done_at.is_(None),
                        GameDayStep.due_at <= now,
                    )
                    .order_by(GameDayStep.due_at, GameDayStep.id)
                )
            )
        done: list[str] = []
        for step in due:
            try:
                note = self._run(step, spec, gameday.name)
            except _Taken:
                continue
            if note:
                done.append(note)
            if step.kind == END:
                break
        return done

    def _claim(
        self,
        session: Session,
        step: GameDayStep,
        *,
        incident_id: int | None = None,
        note: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"done_at": self.now(), "note": note}
        if incident_id is not None:
            values["incident_id"] = incident_id
        claimed = session.execute(
            update(GameDayStep)
            .where(GameDayStep.id == step.id, GameDayStep.done_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            raise _Taken()

    def _run(self, step: GameDayStep, spec: GameDaySpec, name: str) -> str | None:
        payload: dict[str, Any] = {"gameday_id": step.gameday_id}
        if step.kind == INJECT:
            return self._inject(step, spec, name)
        if step.kind == THEME:
            with transaction(self.factory) as session:
                self._claim(session, step)
                enqueue(
                    session,
                    effects.GAMEDAY_THEME,
                    {**payload, "team": step.team},
                    now=self.now(),
                )
            return f"theme told to team {step.team}"
        if step.kind == HINT:
            return self._hint(step)
        with transaction(self.factory) as session:
            self._claim(session, step)
            self._end(session, step.gameday_id, None, self.now())
        return f"ended Game Day #{step.gameday_id}: its time is up"

    def _inject(self, step: GameDayStep, spec: GameDaySpec, name: str) -> str:
        index = int(step.scenario or 0)
        scenario = spec.scenarios[index]

        def link(session: Session, incident: Incident) -> None:
            self._claim(session, step, incident_id=incident.id)
            enqueue(
                session,
                effects.GAMEDAY_SYMPTOM,
                {"gameday_id": step.gameday_id, "incident_id": incident.id, "scenario": index},
                incident_id=incident.id,
                now=self.now(),
            )

        try:
            drill = self.service.declare(
                title=scenario.title,
                severity=scenario.severity,
                actor=None,
                description=f"Game Day {name}, team {scenario.team}.\n{scenario.symptom}",
                drill=True,
                link=link,
            )
        except InvalidInput as error:
            # The configuration changed since the file was checked: retrying cannot help.
            with transaction(self.factory) as session:
                self._claim(session, step, note=f"not injected: {error}"[:200])
            log.warning("Game Day #%s scenario %s not injected: %s", step.gameday_id, index, error)
            return f"scenario {index + 1} not injected: {error}"
        return f"injected {drill.reference} for team {scenario.team}"

    def _hint(self, step: GameDayStep) -> str | None:
        with transaction(self.factory) as session:
            drill = session.scalar(
                select(Incident)
                .join(GameDayStep, GameDayStep.incident_id == Incident.id)
                .where(
                    GameDayStep.gameday_id == step.gameday_id,
                    GameDayStep.kind == INJECT,
                    GameDayStep.scenario == step.scenario,
                )
            )
            if drill is None:
                return None  # the scenario is not injected yet; the hint waits for it
            if drill.mitigated_at is not None or drill.status == lifecycle.CLOSED:
                self._claim(session, step, note="not released: the drill was already mitigated")
                return None
            self._claim(session, step)
            number = int(step.key.rsplit(":", 1)[1])
            enqueue(
                session,
                effects.GAMEDAY_HINT,
                {
                    "gameday_id": step.gameday_id,
                    "incident_id": drill.id,
                    "scenario": step.scenario,
                    "hint": number,
                },
                incident_id=drill.id,
                now=self.now(),
            )
            return f"hint {number + 1} released in {drill.reference}"

    def _finished(self, gameday_id: int) -> bool:
        """Every scenario injected and every drill closed."""
        with self.factory() as session:
            rows = session.execute(
                select(GameDayStep.done_at, Incident.status)
                .outerjoin(Incident, Incident.id == GameDayStep.incident_id)
                .where(GameDayStep.gameday_id == gameday_id, GameDayStep.kind == INJECT)
            ).all()
        return bool(rows) and all(
            done is not None and status in (None, lifecycle.CLOSED) for done, status in rows
        )

    # ---- scores ----------------------------------------------------------------------

    def board(self, gameday_id: int) -> Board:
        """Points per team and per drill, now (or at the end of an ended Game Day)."""
        with self.factory() as session:
            return read_board(session, gameday_id, self.now())
