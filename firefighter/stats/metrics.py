"""Incident metrics over a period, computed by aggregate queries in the database.

Definitions, for a period [start, end) and the previous period of the same length:

- declared: incidents whose `declared_at` falls in the period; closed: `closed_at` in it;
- time to detect (detected - started) and to acknowledge (acknowledged - declared) over the
  incidents declared in the period; time to mitigate (mitigated - started) over those mitigated
  in it; time to close (closed - declared) over those closed in it. A reopened incident counts
  once, with its last mitigation (reopening clears `mitigated_at`);
- open now: every incident not closed, by status and by age since declaration;
- post-mortems overdue: severities that require one, mitigated more than N business days ago,
  with no published post-mortem;
- percentiles use the nearest-rank definition (the value at rank ceil(n * p / 100)).

Drills are left out of everything except their own count. Private incidents are counted,
but their titles never leave this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from firefighter.db import UTCDateTime
from firefighter.incidents.lifecycle import ACTIVE, CLOSED, Status
from firefighter.incidents.models import Incident
from firefighter.incidents.reminders import business_days_before
from firefighter.settings import Severity
from firefighter.stats.followup_figures import FollowUpFigures
from firefighter.stats.resilience import Resilience
from firefighter.stats.sql import EMPTY, DurationStats, duration_stats, seconds_between

if TYPE_CHECKING:
    from firefighter.stats.sql import AnySelect

METRICS = ("detect", "acknowledge", "mitigate", "close")
METRIC_LABELS = {
    "detect": "Time to detect",
    "acknowledge": "Time to acknowledge",
    "mitigate": "Time to mitigate",
    "close": "Time to close",
}
ALL = "*"
"""The key of the all-severities figures."""
AGE_BUCKETS = ("<1d", "1-7d", ">7d")
OPEN_STATUSES = tuple(s.value for s in Status if s.value != CLOSED)
TOP = 5


@dataclass(frozen=True)
class IncidentRef:
    """An incident as the digest may show it: never the title of a private one."""

    id: int
    severity: str
    status: str
    channel_id: str | None
    title: str | None
    private: bool
    seconds: float | None = None
    """The figure it is listed for: time to mitigate (or open so far), or days overdue."""

    @property
    def reference(self) -> str:
        """INC-12."""
        return f"INC-{self.id}"


@dataclass(frozen=True)
class PeriodFigures:
    """What happened in one period."""

    start: datetime
    end: datetime
    declared: dict[str, int] = field(default_factory=dict)
    closed: dict[str, int] = field(default_factory=dict)
    drills: int = 0
    durations: dict[str, dict[str, DurationStats]] = field(default_factory=dict)

    @property
    def declared_total(self) -> int:
        """Incidents declared in the period."""
        return sum(self.declared.values())

    @property
    def closed_total(self) -> int:
        """Incidents closed in the period."""
        return sum(self.closed.values())

    def duration(self, metric: str, severity: str = ALL) -> DurationStats:
        """The stats of `metric` for `severity` (all severities by default)."""
        return self.durations.get(metric, {}).get(severity, EMPTY)


@dataclass(frozen=True)
class Metrics:
    """Everything the digest, the slash command's `stats` and `firefighter stats` show."""

    current: PeriodFigures
    previous: PeriodFigures
    now: datetime
    severities: list[str]
    open_by_status: dict[str, int]
    open_by_age: dict[str, int]
    overdue_postmortems: int
    overdue: list[IncidentRef]
    components_by_count: list[tuple[str, int]]
    components_by_mitigation: list[tuple[str, float]]
    failure_classes: list[tuple[str | None, int]]
    worst: list[IncidentRef]
    followups: FollowUpFigures = field(default_factory=FollowUpFigures)
    # Chaos experiments' resilience score per component (stats/resilience.py).
    resilience: dict[str, Resilience] = field(default_factory=dict)

    @property
    def days(self) -> int:
        """The length of the period in days."""
        return max(round((self.current.end - self.current.start) / timedelta(days=1)), 1)

    @property
    def open_total(self) -> int:
        """Incidents not closed now."""
        return sum(self.open_by_status.values())

    @property
    def quiet(self) -> bool:
        """No real incident was declared in the period."""
        return self.current.declared_total == 0


@dataclass(frozen=True)
class Change:
    """How a figure moved against the previous period."""

    current: float | None
    previous: float | None

    @property
    def arrow(self) -> str:
        """↑, ↓ or → (a dash when there is nothing to compare)."""
        if self.current is None or self.previous is None:
            return "—"
        if self.current > self.previous:
            return "↑"
        if self.current < self.previous:
            return "↓"
        return "→"

    @property
    def percent(self) -> float | None:
        """Relative change in percent; None when the previous figure is zero or missing."""
        if self.current is None or self.previous is None or self.previous == 0:
            return None
        return (self.current - self.previous) / self.previous * 100

    def __str__(self) -> str:
        if self.current is None or self.previous is None:
            return "—"
        if self.previous == 0:
            return "→ 0%" if self.current == 0 else "↑ new"
        percent = self.percent
        assert percent is not None
        return f"{self.arrow} {abs(percent):.0f}%"


def change(current: float | None, previous: float | None) -> Change:
    """The change from `previous` to `current`."""
    return Change(current, previous)


def real_incidents() -> ColumnElement[bool]:
    return Incident.drill == false()


def declared_in(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _period_label(column: Any, start: datetime) -> ColumnElement[str]:
    return case((column >= start, literal_column("'current'")), else_=literal_column("'previous'"))


def _counts(
    session: Session, column: Any, prev_start: datetime, start: datetime, end: datetime
) -> dict[tuple[str, str, bool], int]:
    period = _period_label(column, start).label("period")
    query = (
        select(period, Incident.severity, Incident.drill, func.count())
        .where(declared_in(column, prev_start, end))
        .group_by(period, Incident.severity, Incident.drill)
    )
    return {(p, s, bool(d)): int(n) for p, s, d, n in session.execute(query)}


def _duration_rows(prev_start: datetime, start: datetime, end: datetime) -> AnySelect:
    """(period, metric, severity, d) for every duration of both periods, per severity and all."""
    specs = (
        ("detect", Incident.declared_at, Incident.started_at, Incident.detected_at),
        ("acknowledge", Incident.declared_at, Incident.declared_at, Incident.acknowledged_at),
        ("mitigate", Incident.mitigated_at, Incident.started_at, Incident.mitigated_at),
        ("close", Incident.closed_at, Incident.declared_at, Incident.closed_at),
    )
    selects: list[AnySelect] = []
    severities: tuple[ColumnElement[str], ...] = (
        Incident.severity.expression,
        literal_column(f"'{ALL}'", String()),
    )
    for metric, anchor, begin, finish in specs:
        for severity in severities:
            selects.append(
                select(
                    _period_label(anchor, start).label("period"),
                    literal_column(f"'{metric}'").label("metric"),
                    severity.label("severity"),
                    seconds_between(begin, finish).label("d"),
                ).where(
                    real_incidents(),
                    declared_in(anchor, prev_start, end),
                    begin.is_not(None),
                    finish.is_not(None),
                )
            )
    union = selects[0].union_all(*selects[1:]).subquery()
    return select(union.c.period, union.c.metric, union.c.severity, union.c.d)


def _severity_rank(order: Sequence[str]) -> ColumnElement[int]:
    return case(
        {name: i for i, name in enumerate(order)}, value=Incident.severity, else_=len(order)
    )


def _ref(row: Any, seconds: float | None) -> IncidentRef:
    return IncidentRef(
        id=int(row.id),
        severity=str(row.severity),
        status=str(row.status),
        channel_id=row.channel_id,
        # The title is dropped here, at the source, so no renderer can leak it.
        title=None if row.private else str(row.title),
        private=bool(row.private),
        seconds=None if seconds is None else round(float(seconds), 3),
    )


def compute(
    session: Session,
    *,
    end: datetime,
    days: int,
    severities: Sequence[Severity],
    zone: ZoneInfo,
    now: datetime | None = None,
    postmortem_due_days: int = 5,
) -> Metrics:
    """The metrics of the `days` days before `end`, and their change since the period before."""
    if days < 1:
        raise ValueError("a period of at least one day")
    now = now or end
    length = timedelta(days=days)
    start, prev_start = end - length, end - 2 * length
    order = [s.name for s in severities]

    declared = _counts(session, Incident.declared_at, prev_start, start, end)
    closed = _counts(session, Incident.closed_at, prev_start, start, end)
    durations: dict[str, dict[str, dict[str, DurationStats]]] = {"current": {}, "previous": {}}
    for (period, metric, severity), stats in duration_stats(
        session, _duration_rows(prev_start, start, end)
    ).items():
        durations[period].setdefault(metric, {})[severity] = stats

    def figures(period: str, begin: datetime, finish: datetime) -> PeriodFigures:
        def real(counts: dict[tuple[str, str, bool], int]) -> dict[str, int]:
            out: dict[str, int] = {}
            for (p, severity, drill), n in counts.items():
                if p == period and not drill:
                    out[severity] = out.get(severity, 0) + n
            return out

        drills = sum(n for (p, _, drill), n in declared.items() if p == period and drill)
        return PeriodFigures(
            start=begin,
            end=finish,
            declared=real(declared),
            closed=real(closed),
            drills=drills,
            durations=durations[period],
        )

    open_by_status, open_by_age = _open_now(session, now)
    required = [s.name for s in severities if s.postmortem_required]
    overdue_count, overdue = _overdue(
        session, required, business_days_before(now, postmortem_due_days, zone), now
    )
    return Metrics(
        current=figures("current", start, end),
        previous=figures("previous", prev_start, start),
        now=now,
        severities=order,
        open_by_status=open_by_status,
        open_by_age=open_by_age,
        overdue_postmortems=overdue_count,
        overdue=overdue,
        components_by_count=_components_by_count(session, start, end),
        components_by_mitigation=_components_by_mitigation(session, start, end),
        failure_classes=_failure_classes(session, start, end),
        worst=_worst(session, start, end, now, order),
    )


def _open_now(session: Session, now: datetime) -> tuple[dict[str, int], dict[str, int]]:
    age = case(
        (Incident.declared_at > now - timedelta(days=1), literal_column(f"'{AGE_BUCKETS[0]}'")),
        (Incident.declared_at > now - timedelta(days=7), literal_column(f"'{AGE_BUCKETS[1]}'")),
        else_=literal_column(f"'{AGE_BUCKETS[2]}'"),
    ).label("age")
    query = (
        select(Incident.status, age, func.count())
        .where(real_incidents(), Incident.status.in_(OPEN_STATUSES))
        .group_by(Incident.status, age)
    )
    by_status: dict[str, int] = {}
    by_age: dict[str, int] = {}
    for status, bucket, n in session.execute(query):
        by_status[status] = by_status.get(status, 0) + int(n)
        by_age[bucket] = by_age.get(bucket, 0) + int(n)
    ordered_status = {s: by_status[s] for s in OPEN_STATUSES if s in by_status}
    return ordered_status, {b: by_age.get(b, 0) for b in AGE_BUCKETS}


def _overdue(
    session: Session, required: list[str], cutoff: datetime, now: datetime, limit: int = TOP
) -> tuple[int, list[IncidentRef]]:
    if not required:
        return 0, []
    where = (
        real_incidents(),
        Incident.severity.in_(required),
        Incident.mitigated_at < cutoff,
        Incident.postmortem_url.is_(None),
    )
    total = int(session.scalar(select(func.count()).select_from(Incident).where(*where)) or 0)
    since = seconds_between(Incident.mitigated_at, literal_now(now)).label("since")
    rows = session.execute(
        select(
            Incident.id,
            Incident.severity,
            Incident.status,
            Incident.channel_id,
            Incident.title,
            Incident.private,
            since,
        )
        .where(*where)
        .order_by(Incident.mitigated_at, Incident.id)
        .limit(limit)
    )
    return total, [_ref(row, row.since) for row in rows]


def literal_now(now: datetime) -> ColumnElement[datetime]:
    """`now` as a typed bound timestamp, usable inside `seconds_between`."""
    return bindparam(None, now, type_=UTCDateTime)


def _components_by_count(session: Session, start: datetime, end: datetime) -> list[tuple[str, int]]:
    n = func.count().label("n")
    rows = session.execute(
        select(Incident.component, n)
        .where(
            real_incidents(),
            declared_in(Incident.declared_at, start, end),
            Incident.component.is_not(None),
        )
        .group_by(Incident.component)
        .order_by(n.desc(), Incident.component)
        .limit(TOP)
    )
    return [(str(component), int(count)) for component, count in rows]


def _components_by_mitigation(
    session: Session, start: datetime, end: datetime
) -> list[tuple[str, float]]:
    total = func.sum(seconds_between(Incident.started_at, Incident.mitigated_at)).label("total")
    rows = session.execute(
        select(Incident.component, total)
        .where(
            real_incidents(),
            declared_in(Incident.mitigated_at, start, end),
            Incident.started_at.is_not(None),
            Incident.component.is_not(None),
        )
        .group_by(Incident.component)
        .order_by(total.desc(), Incident.component)
        .limit(TOP)
    )
    return [(str(component), round(float(seconds), 3)) for component, seconds in rows]


def _failure_classes(
    session: Session, start: datetime, end: datetime
) -> list[tuple[str | None, int]]:
    n = func.count().label("n")
    rows = session.execute(
        select(Incident.failure_class, n)
        .where(real_incidents(), declared_in(Incident.closed_at, start, end))
        .group_by(Incident.failure_class)
        .order_by(n.desc(), Incident.failure_class)
    )
    return [(failure_class, int(count)) for failure_class, count in rows]


def _worst(
    session: Session, start: datetime, end: datetime, now: datetime, order: Sequence[str]
) -> list[IncidentRef]:
    """The most severe, longest incidents of the period (or still open), worst first."""
    # Until mitigation; an incident closed early lasted until it closed; an active one, so far.
    lasted = seconds_between(
        Incident.started_at,
        func.coalesce(Incident.mitigated_at, Incident.closed_at, literal_now(now)),
    ).label("lasted")
    active = Incident.status.in_(ACTIVE)
    rows = session.execute(
        select(
            Incident.id,
            Incident.severity,
            Incident.status,
            Incident.channel_id,
            Incident.title,
            Incident.private,
            lasted,
        )
        .where(
            real_incidents(),
            Incident.started_at.is_not(None),
            declared_in(Incident.declared_at, start, end)
            | declared_in(Incident.mitigated_at, start, end)
            | (active & (Incident.declared_at < end)),
        )
        .order_by(_severity_rank(order), lasted.desc(), Incident.id)
        .limit(TOP)
    )
    return [_ref(row, row.lasted) for row in rows]
