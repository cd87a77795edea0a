"""What managers need to know of follow-ups: opened, done and overdue, and how long they take.

Counted in SQL like the other metrics. Drills' follow-ups are left out; those of private
incidents are counted, and listed by reference only (never by title or channel).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from firefighter.incidents.followup_models import FollowUp
from firefighter.incidents.models import Incident
from firefighter.stats.sql import EMPTY, DurationStats, duration_stats, seconds_between

if TYPE_CHECKING:
    from firefighter.stats.sql import AnySelect

OPEN, DONE = "open", "done"
NO_COMPONENT = "no component"


@dataclass(frozen=True)
class OverdueFollowUp:
    """One overdue follow-up, as the digest may show it."""

    incident_id: int
    channel_id: str | None
    title: str | None  # None for a private incident's
    due: date
    owner: str | None


@dataclass(frozen=True)
class FollowUpFigures:
    """Follow-ups of the period, and those overdue now."""

    opened: int = 0
    done: int = 0
    overdue: int = 0
    # (component, how many overdue, the first few of them), most overdue first.
    overdue_by_component: list[tuple[str, int, list[OverdueFollowUp]]] = field(default_factory=list)
    time_to_close: DurationStats = EMPTY


def followup_figures(
    session: Session, *, start: datetime, end: datetime, today: date, shown: int = 5
) -> FollowUpFigures:
    """Opened and done between `start` and `end`, overdue on `today`, and the time to close
    of those done in the period; `shown` overdue follow-ups listed per component."""
    real = Incident.drill.is_(False)
    joined = select(func.count()).select_from(FollowUp).join(Incident)
    opened = session.scalar(
        joined.where(real, FollowUp.created_at >= start, FollowUp.created_at < end)
    )
    done = session.scalar(
        joined.where(
            real, FollowUp.status == DONE, FollowUp.closed_at >= start, FollowUp.closed_at < end
        )
    )
    late = (real, FollowUp.status == OPEN, FollowUp.due.is_not(None), FollowUp.due < today)
    component = func.coalesce(Incident.component, NO_COMPONENT)
    totals = {
        str(name): int(n)
        for name, n in session.execute(
            select(component, func.count())
            .select_from(FollowUp)
            .join(Incident)
            .where(*late)
            .group_by(component)
        )
    }
    by_component: dict[str, list[OverdueFollowUp]] = {}
    # The oldest few of each component: a short walk of the open-by-due index per component
    # (there are few components), instead of ranking every overdue follow-up.
    for name in totals:
        rows = session.execute(
            select(
                Incident.id,
                Incident.channel_id,
                Incident.private,
                FollowUp.title,
                FollowUp.due,
                FollowUp.owner,
            )
            .join(Incident)
            .where(*late, component == name)
            .order_by(FollowUp.due, FollowUp.id)
            .limit(shown)
        ).all()
        by_component[name] = [
            OverdueFollowUp(
                incident_id=int(incident_id),
                channel_id=None if private else channel_id,
                title=None if private else str(title),
                due=due or today,  # filtered on a due date: never None here
                owner=owner,
            )
            for incident_id, channel_id, private, title, due, owner in rows
        ]
    closing: AnySelect = (
        select(
            literal_column("'close'").label("metric"),
            seconds_between(FollowUp.created_at, FollowUp.closed_at).label("d"),
        )
        .join(Incident)
        .where(real, FollowUp.status == DONE, FollowUp.closed_at >= start, FollowUp.closed_at < end)
    )
    stats = duration_stats(session, closing).get(("close",), EMPTY)
    ranked = sorted(
        ((name, totals.get(name, len(listed)), listed) for name, listed in by_component.items()),
        key=lambda entry: (-entry[1], entry[0]),
    )
    return FollowUpFigures(
        opened=int(opened or 0),
        done=int(done or 0),
        overdue=sum(totals.values()),
        overdue_by_component=ranked,
        time_to_close=stats,
    )
