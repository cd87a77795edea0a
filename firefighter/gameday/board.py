"""A Game Day's scoreboard as plain data: points per team and per drill as of a moment,
read in one session; the Slack board, the report and the console render it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import transaction
from firefighter.gameday import scoring
from firefighter.gameday.models import HINT, INJECT, RUNNING, GameDay, GameDayStep
from firefighter.gameday.spec import GameDaySpec, from_stored
from firefighter.incidents import effects
from firefighter.incidents.chaos_models import ChaosResult
from firefighter.incidents.errors import NotFound
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.outbox import enqueue


@dataclass(frozen=True)
class DrillResult:
    """One injected scenario: its drill and its points so far."""

    index: int
    title: str
    team: str
    severity: str
    incident_id: int
    reference: str
    status: str
    channel_id: str | None
    expected: timedelta
    score: scoring.DrillScore
    acknowledged_after: timedelta | None = None
    mitigated_after: timedelta | None = None


@dataclass(frozen=True)
class TeamResult:
    """A team's points, added up over its drills."""

    team: str
    points: int
    drills: tuple[DrillResult, ...]

    @property
    def per_drill(self) -> float:
        """Average points per drill: how teams with different numbers of drills are ranked."""
        return round(self.points / len(self.drills), 1) if self.drills else 0.0

    def category(self, name: str) -> int:
        """The team's points in one scoring category."""
        return sum(d.score.points[name] for d in self.drills)


@dataclass(frozen=True)
class ChaosLine:
    """A chaos experiment's result recorded while the Game Day ran, for the board."""

    experiment: str
    component: str
    verdict: str
    probe_success: float
    at: datetime


@dataclass(frozen=True)
class Board:
    """The scoreboard of a Game Day as of a moment, with the rules it applies."""

    gameday_id: int
    name: str
    mode: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    as_of: datetime
    scenarios_total: int
    teams: tuple[TeamResult, ...]
    rules: tuple[str, ...]
    channel_id: str | None
    board_ts: str | None
    chaos: tuple[ChaosLine, ...] = ()

    @property
    def drills(self) -> list[DrillResult]:
        """Every injected drill, in scenario order."""
        return sorted((d for t in self.teams for d in t.drills), key=lambda d: d.index)


def read_board(session: Session, gameday_id: int, now: datetime) -> Board:
    """Points per team and per drill, now (or at the end of an ended Game Day)."""
    gameday = session.get(GameDay, gameday_id)
    if gameday is None:
        raise NotFound(f"There is no Game Day #{gameday_id}.")
    spec = from_stored(gameday.spec)
    as_of = gameday.ended_at or now
    rows = session.execute(
        select(GameDayStep, Incident)
        .join(Incident, Incident.id == GameDayStep.incident_id)
        .where(GameDayStep.gameday_id == gameday_id, GameDayStep.kind == INJECT)
        .order_by(GameDayStep.scenario)
    ).all()
    hints = _hints_released(session, gameday_id, as_of)
    updates = _update_times(session, [incident.id for _, incident in rows])
    drills = [
        _result(
            step,
            incident,
            spec,
            updates[incident.id],
            as_of,
            hints.get(int(step.scenario or 0), 0),
        )
        for step, incident in rows
    ]
    teams = [
        TeamResult(
            team=name,
            points=sum(d.score.total for d in drills if d.team == name),
            drills=tuple(d for d in drills if d.team == name),
        )
        for name in spec.teams
    ]
    teams.sort(key=lambda t: (-t.per_drill, -t.points))
    return Board(
        gameday_id=gameday.id,
        name=gameday.name,
        mode=gameday.mode,
        status=gameday.status,
        started_at=gameday.started_at,
        ended_at=gameday.ended_at,
        as_of=as_of,
        scenarios_total=len(spec.scenarios),
        teams=tuple(teams),
        rules=tuple(scoring.rules(timedelta(seconds=spec.update_every))),
        channel_id=gameday.channel_id,
        board_ts=gameday.board_ts,
        chaos=_chaos_lines(session, gameday_id),
    )


def _hints_released(session: Session, gameday_id: int, as_of: datetime) -> dict[int, int]:
    """Hints released per scenario by `as_of` (not those withheld after mitigation)."""
    hints: dict[int, int] = {}
    for scenario in session.scalars(
        select(GameDayStep.scenario).where(
            GameDayStep.gameday_id == gameday_id,
            GameDayStep.kind == HINT,
            GameDayStep.done_at.is_not(None),
            GameDayStep.done_at <= as_of,
            GameDayStep.note.is_(None),
        )
    ):
        hints[int(scenario or 0)] = hints.get(int(scenario or 0), 0) + 1
    return hints


def _update_times(session: Session, ids: list[int]) -> dict[int, list[datetime]]:
    updates: dict[int, list[datetime]] = {i: [] for i in ids}
    for incident_id, at in session.execute(
        select(TimelineEvent.incident_id, TimelineEvent.at).where(
            TimelineEvent.incident_id.in_(ids), TimelineEvent.kind == "update"
        )
    ):
        updates[incident_id].append(at)
    return updates


def _chaos_lines(session: Session, gameday_id: int) -> tuple[ChaosLine, ...]:
    return tuple(
        ChaosLine(r.experiment, r.component, r.verdict, r.probe_success, r.at)
        for r in session.scalars(
            select(ChaosResult)
            .where(ChaosResult.gameday_id == gameday_id)
            .order_by(ChaosResult.at, ChaosResult.id)
        )
    )


def _within(at: datetime | None, as_of: datetime) -> datetime | None:
    return at if at is not None and at <= as_of else None


def _result(
    step: GameDayStep,
    incident: Incident,
    spec: GameDaySpec,
    updates: Sequence[datetime],
    as_of: datetime,
    hints: int = 0,
) -> DrillResult:
    index = int(step.scenario or 0)
    scenario = spec.scenarios[index]
    team = spec.teams.get(scenario.team)
    facts = scoring.DrillFacts(
        declared_at=incident.declared_at,
        acknowledged_at=_within(incident.acknowledged_at, as_of),
        mitigated_at=_within(incident.mitigated_at, as_of),
        updates=[at for at in updates if at <= as_of],
        roles=frozenset(role.role for role in incident.roles),
        postmortem_written=incident.postmortem_url is not None,
        hints_released=hints,
        team_size=len(team.members) if team is not None and team.members else None,
    )
    expected = timedelta(seconds=scenario.mitigate_within)
    return DrillResult(
        index=index,
        title=scenario.title,
        team=scenario.team,
        severity=incident.severity,
        incident_id=incident.id,
        reference=incident.reference,
        status=incident.status,
        channel_id=incident.channel_id,
        expected=expected,
        acknowledged_after=(
            facts.acknowledged_at - facts.declared_at if facts.acknowledged_at else None
        ),
        mitigated_after=facts.mitigated_at - facts.declared_at if facts.mitigated_at else None,
        score=scoring.score(
            facts,
            expected=expected,
            cadence=timedelta(seconds=spec.update_every),
            as_of=as_of,
        ),
    )


def queue_redraw(
    factory: sessionmaker[Session], gameday_id: int, now: datetime, interval: timedelta
) -> bool:
    """Queue a redraw of a running Game Day's board if a drill changed and the last redraw
    was queued at least `interval` ago (a later tick draws what changed meanwhile)."""
    # Read first: most ticks find nothing to redraw and need no write transaction.
    with factory() as session:
        gameday = session.get(GameDay, gameday_id)
        if gameday is None or gameday.status != RUNNING:
            return False
        mark = _mark(session, gameday_id)
        if mark == gameday.board_mark:
            return False
        if gameday.board_queued_at is not None and now - gameday.board_queued_at < interval:
            return False
    with transaction(factory) as session:
        queued = session.execute(
            update(GameDay)
            .where(
                GameDay.id == gameday_id,
                GameDay.status == RUNNING,
                GameDay.board_mark == gameday.board_mark,
            )
            .values(board_mark=mark, board_queued_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if queued != 1:
            return False  # another worker queued it
        enqueue(session, effects.GAMEDAY_BOARD, {"gameday_id": gameday_id}, now=now)
        return True


def _mark(session: Session, gameday_id: int) -> str:
    """A fingerprint of the drills: it changes whenever anything happens in one of them."""
    injected = select(GameDayStep.incident_id).where(
        GameDayStep.gameday_id == gameday_id, GameDayStep.incident_id.is_not(None)
    )
    count, last = session.execute(
        select(func.count(TimelineEvent.id), func.max(TimelineEvent.id)).where(
            TimelineEvent.incident_id.in_(injected)
        )
    ).one()
    results = session.scalar(
        select(func.count(ChaosResult.id)).where(ChaosResult.gameday_id == gameday_id)
    )
    return f"{count}:{last or 0}:{results or 0}"
