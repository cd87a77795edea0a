"""Scheduled Game Days: a loaded file with a `schedule` is a template the scheduler plays.

At each due time (claimed once across replicas by the scheduler), a copy of the template
is started as a Game Day of its own, unless the chaos gate is closed for one of its
scenarios' components (or for every component), another Game Day is running, or no Game Day
channel is set: then the teams are told it was skipped, and why. `announce_before` the due
time, the teams are told it is coming.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firefighter.gameday.engine import GameDays
from firefighter.gameday.models import LOADED, RUNNING, GameDay
from firefighter.gameday.spec import from_stored
from firefighter.incidents.chaos import ANY, GateAnswer
from firefighter.incidents.effects import GameDayAnnounce
from firefighter.outbox import enqueue

log = logging.getLogger(__name__)

Gate = Callable[[str], GateAnswer]


@dataclass(frozen=True)
class ScheduledGameDay:
    """A template: its cron, when to announce, and what the gate is asked about."""

    id: int
    name: str
    cron: str
    announce_before: timedelta
    components: tuple[str, ...]
    loaded_at: datetime


def scheduled(gamedays: GameDays) -> list[ScheduledGameDay]:
    """Every loaded Game Day whose file carries a schedule."""
    with gamedays.factory() as session:
        loaded = list(session.scalars(select(GameDay).where(GameDay.status == LOADED)))
    found = []
    for gameday in loaded:
        spec = from_stored(gameday.spec)
        if spec.schedule:
            components = tuple(dict.fromkeys(s.component for s in spec.scenarios if s.component))
            found.append(
                ScheduledGameDay(
                    gameday.id,
                    gameday.name,
                    spec.schedule,
                    timedelta(seconds=spec.announce_before),
                    components,
                    gameday.loaded_at,
                )
            )
    return found


def _announce(
    session: Session, template_id: int, starts_at: datetime, now: datetime, why: str | None
) -> None:
    enqueue(session, GameDayAnnounce(template_id, starts_at.isoformat(), why), now=now)


def announce(session: Session, item: ScheduledGameDay, due: datetime, now: datetime) -> None:
    """Tell the teams the Game Day starts at `due` (inside the claiming transaction)."""
    _announce(session, item.id, due, now, None)


def closed_gate(item: ScheduledGameDay, gate: Gate) -> str | None:
    """Why the gate stops this Game Day now, or None."""
    for component in item.components or (ANY,):
        answer = gate(component)
        if not answer.safe:
            return answer.reason or f"the chaos gate is closed for {component}"
    return None


def start_scheduled(
    gamedays: GameDays,
    session: Session,
    item: ScheduledGameDay,
    *,
    due: datetime,
    now: datetime,
    gate: Gate,
) -> str:
    """Start a copy of the template (inside the claiming transaction); what happened."""
    template = session.get(GameDay, item.id)
    if template is None or template.status != LOADED:
        return f"scheduled Game Day #{item.id} is gone"
    why = closed_gate(item, gate)
    channel = gamedays.settings.gameday_channel
    if why is None and not channel:
        why = "no Game Day channel is set (FIREFIGHTER_GAMEDAY_CHANNEL)"
    running = session.scalar(select(GameDay.name).where(GameDay.status == RUNNING))
    if why is None and running is not None:
        why = f"Game Day {running!r} is still running"
    if why is not None or not channel:
        _announce(session, item.id, due, now, why)
        log.info("scheduled Game Day %s skipped: %s", item.name, why)
        return f"skipped Game Day {item.name}: {why}"
    spec = from_stored(template.spec).model_copy(update={"schedule": None})
    copy = GameDay(
        name=template.name,
        mode=template.mode,
        spec=spec.model_dump(mode="json"),
        source=f"schedule:{item.id}",
        status=LOADED,
        loaded_at=now,
        loaded_by=None,
    )
    session.add(copy)
    session.flush()
    gamedays.start_in(session, copy, spec, actor=None, channel=channel, now=now)
    return f"started scheduled Game Day {item.name} as #{copy.id}"
