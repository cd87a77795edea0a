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
    # Only the first few of each component reach Python, however many are overdue.
    ranked_rows = (
        select(
            component.label("component"),
            Incident.id.label("incident_id"),
            Incident.channel_id,
            Incident.private,
            FollowUp.title,
            FollowUp.due,
            FollowUp.owner,
            func.row_number()
            .over(partition_by=component, order_by=(FollowUp.due, FollowUp.id))
            .label("rank"),
            # One pass over the overdue ones gives both the listing and each total.
            func.count().over(partition_by=component).label("total"),
        )
        .join(Incident)
        .where(*late)
        .subquery()
    )
    rows = session.execute(
        select(ranked_rows)
        .where(ranked_rows.c.rank <= shown)
        .order_by(ranked_rows.c.due, ranked_rows.c.incident_id)
    ).all()
    by_component: dict[str, list[OverdueFollowUp]] = {}
    totals: dict[str, int] = {}
    for row in rows:
        totals[str(row.component)] = int(row.total)
        by_component.setdefault(str(row.component), []).append(
            OverdueFollowUp(
                incident_id=int(row.incident_id),
                channel_id=None if row.private else row.channel_id,
                title=None if row.private else str(row.title),
                due=row.due or today,  # filtered on a due date: never None here
                owner=row.owner,
            )
        )
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
