"""Week by week: incidents declared per severity and the time to mitigate, for the digest's
chart and the console's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from firefighter.incidents.models import Incident
from firefighter.settings import Severity
from firefighter.stats.metrics import declared_in, real_incidents
from firefighter.stats.sql import duration_stats, seconds_between


@dataclass(frozen=True)
class WeeklySeries:
    """Incidents per week by severity, and the weekly time to mitigate, oldest week first."""

    week_starts: list[datetime]
    declared: dict[str, list[int]]
    mitigate_p50: list[float | None]
    mitigate_mean: list[float | None]

    @property
    def total(self) -> int:
        """Incidents declared over the whole series."""
        return sum(sum(counts) for counts in self.declared.values())


def weekly(
    session: Session, *, end: datetime, severities: Sequence[Severity], weeks: int = 12
) -> WeeklySeries:
    """The last `weeks` weeks before `end`, for the digest's chart."""
    bounds = [end - timedelta(weeks=weeks - i) for i in range(weeks + 1)]

    def bucket(column: Any) -> ColumnElement[int]:
        # Comparisons rather than date arithmetic: exact, and identical on both databases.
        return case(
            *[(column < bounds[i + 1], literal_column(str(i))) for i in range(weeks - 1)],
            else_=literal_column(str(weeks - 1)),
        )

    week = bucket(Incident.declared_at).label("week")
    counts = session.execute(
        select(week, Incident.severity, func.count())
        .where(real_incidents(), declared_in(Incident.declared_at, bounds[0], end))
        .group_by(week, Incident.severity)
    )
    names = [s.name for s in severities]
    declared = {name: [0] * weeks for name in names}
    for index, severity, n in counts:
        declared.setdefault(severity, [0] * weeks)[int(index)] += int(n)
    rows = select(
        bucket(Incident.mitigated_at).label("week"),
        seconds_between(Incident.started_at, Incident.mitigated_at).label("d"),
    ).where(
        real_incidents(),
        declared_in(Incident.mitigated_at, bounds[0], end),
        Incident.started_at.is_not(None),
    )
    stats = {int(key[0]): value for key, value in duration_stats(session, rows).items()}
    return WeeklySeries(
        week_starts=bounds[:-1],
        declared=declared,
        mitigate_p50=[stats[i].p50 if i in stats else None for i in range(weeks)],
        mitigate_mean=[stats[i].mean if i in stats else None for i in range(weeks)],
    )
