"""The console's incident list, read side: filters from the query string, who may see what,
one page, one incident with what its page shows, the CSV. Each function opens and closes its
own session and returns plain frozen data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session, selectinload, sessionmaker

from firefighter.incidents.alert_models import Alert
from firefighter.incidents.followup_queries import followup_json, list_followups
from firefighter.incidents.lifecycle import Status
from firefighter.incidents.models import Incident, IncidentMember, IncidentRole, TimelineEvent
from firefighter.incidents.queries import incident_json, timeline
from firefighter.incidents.read import AlertView, EventView, IncidentView, event_view, incident_view

PAGE_SIZE = 50
CSV_CHUNK = 1000
DRILLS = ("all", "exclude", "only")


class FilterError(ValueError):
    """A filter value we cannot use; the message says what to type."""


@dataclass(frozen=True)
class Filters:
    """The console's filters (DESIGN's query parameters), every one optional."""

    status: str = ""
    severity: str = ""
    component: str = ""
    failure_class: str = ""
    q: str = ""
    start: date | None = None
    end: date | None = None
    drills: str = "all"

    @classmethod
    def parse(cls, params: dict[str, str]) -> Filters:
        """Filters from query parameters (`from` and `to` as YYYY-MM-DD); FilterError if bad."""

        def day(name: str) -> date | None:
            value = (params.get(name) or "").strip()
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise FilterError(f"`{name}` is a date such as 2026-03-09.") from None

        status = (params.get("status") or "").strip()
        if status and status not in {s.value for s in Status}:
            raise FilterError(f"Unknown status {status!r}; pick one in the list.")
        drills = (params.get("drills") or "all").strip() or "all"
        if drills not in DRILLS:
            raise FilterError(f"`drills` is one of {', '.join(DRILLS)}.")
        return cls(
            status=status,
            severity=(params.get("severity") or "").strip(),
            component=(params.get("component") or "").strip(),
            failure_class=(params.get("failure_class") or "").strip(),
            q=(params.get("q") or "").strip()[:200],
            start=day("from"),
            end=day("to"),
            drills=drills,
        )

    def query_params(self) -> dict[str, str]:
        """The filters back as query parameters (empty ones left out)."""
        out: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            key = {"start": "from", "end": "to"}.get(item.name, item.name)
            if value and not (key == "drills" and value == "all"):
                out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out


def visible_clause(user_id: str | None) -> ColumnElement[bool]:
    """Incidents `user_id` may see: public ones, and private ones whose member, declarer or
    role holder they are (DESIGN: a private incident is 404 for everyone else); None is an
    admin, who sees all (the core's `queries.visible_to` rule, as a SQL condition)."""
    if user_id is None:
        return true()
    member = exists().where(
        IncidentMember.incident_id == Incident.id, IncidentMember.user_id == user_id
    )
    holder = exists().where(
        IncidentRole.incident_id == Incident.id, IncidentRole.user_id == user_id
    )
    return or_(Incident.private.is_(False), Incident.declarer == user_id, member, holder)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(filters: Filters, user_id: str | None, zone: ZoneInfo) -> Select[Incident]:
    """The visible incidents matching `filters`, in no order (see `open_then_closed`)."""
    query = select(Incident).where(visible_clause(user_id))
    if filters.status:
        query = query.where(Incident.status == filters.status)
    if filters.severity:
        query = query.where(Incident.severity == filters.severity)
    if filters.component:
        query = query.where(Incident.component == filters.component)
    if filters.failure_class:
        query = query.where(Incident.failure_class == filters.failure_class)
    if filters.start:
        query = query.where(Incident.declared_at >= datetime.combine(filters.start, time(), zone))
    if filters.end:
        after = datetime.combine(filters.end + timedelta(days=1), time(), zone)
        query = query.where(Incident.declared_at < after)
    if filters.drills == "exclude":
        query = query.where(Incident.drill.is_(False))
    elif filters.drills == "only":
        query = query.where(Incident.drill.is_(True))
    if filters.q:
        pattern = _like(filters.q)
        # A correlated probe (not EXISTS, which PostgreSQL may turn into a hash of every
        # matching event): evaluated only for incidents the cheaper filters kept.
        said = (
            select(literal(1))
            .where(
                TimelineEvent.incident_id == Incident.id,
                func.lower(TimelineEvent.text).like(pattern, escape="\\"),
            )
            .limit(1)
            .scalar_subquery()
            .is_not(None)
        )
        query = query.where(
            or_(
                func.lower(Incident.title).like(pattern, escape="\\"),
                func.lower(Incident.description).like(pattern, escape="\\"),
                said,
            )
        )
    return query


def open_then_closed(query: Select[Incident]) -> tuple[Select[Incident], Select[Incident]]:
    """The list's order as two index-friendly queries: open incidents newest first, then
    closed ones newest first (one query sorting on "is closed" would read every match)."""
    newest = (Incident.declared_at.desc(), Incident.id.desc())
    # `IN (open statuses)` rather than `!= closed`, so the status index finds the few open ones.
    still_open = Incident.status.in_([s.value for s in Status if s is not Status.CLOSED])
    closed = Incident.status == Status.CLOSED.value
    return query.where(still_open).order_by(*newest), query.where(closed).order_by(*newest)


def quick_reads(session: Session) -> None:
    """On PostgreSQL, no JIT for this transaction: compiling costs tens of milliseconds, more
    than these short, index-driven reads take."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


@dataclass(frozen=True)
class Page:
    """One page of the list."""

    incidents: tuple[IncidentView, ...]
    number: int
    has_next: bool


@dataclass(frozen=True)
class IncidentRecord:
    """One incident as its page shows it: timeline oldest first, follow-ups (the CLI's
    JSON), linked alerts first seen first."""

    incident: IncidentView
    events: tuple[EventView, ...]
    followups: tuple[dict[str, Any], ...] = ()
    alerts: tuple[AlertView, ...] = ()


def list_page(
    factory: sessionmaker[Session], filters: Filters, user_id: str | None, zone: ZoneInfo, page: int
) -> Page:
    """Page `page` (from 1) of the filtered list."""
    with factory() as session:
        return _page(session, filters, user_id, zone, max(1, page))


def _page(
    session: Session, filters: Filters, user_id: str | None, zone: ZoneInfo, page: int
) -> Page:
    quick_reads(session)
    opened, closed = open_then_closed(filtered(filters, user_id, zone))
    offset, wanted = (page - 1) * PAGE_SIZE, PAGE_SIZE + 1
    # Open incidents are few at any time: counting them is cheap.
    open_total = session.scalar(select(func.count()).select_from(opened.order_by(None).subquery()))
    rows: list[Incident] = []
    if offset < (open_total or 0):
        rows += session.scalars(
            opened.options(selectinload(Incident.roles)).offset(offset).limit(wanted)
        )
    if len(rows) < wanted:
        rows += session.scalars(
            closed.options(selectinload(Incident.roles))
            .offset(max(0, offset - (open_total or 0)))
            .limit(wanted - len(rows))
        )
    shown = tuple(incident_view(i) for i in rows[:PAGE_SIZE])
    return Page(shown, page, len(rows) > PAGE_SIZE)


def _visible(session: Session, incident_id: int, user_id: str | None) -> Incident | None:
    query = select(Incident).where(and_(Incident.id == incident_id, visible_clause(user_id)))
    return session.scalars(query).first()


def find_visible(
    factory: sessionmaker[Session], incident_id: int, user_id: str | None, *, full: bool = True
) -> IncidentRecord | None:
    """The incident and its timeline if `user_id` may see it, None (a 404) otherwise; with
    `full`, its follow-ups and linked alerts too."""
    with factory() as session:
        found = _visible(session, incident_id, user_id)
        if found is None:
            return None
        events = tuple(event_view(e) for e in timeline(session, found.id))
        if not full:
            return IncidentRecord(incident_view(found), events)
        followups = list_followups(session, incident_id=found.id)
        alerts = session.scalars(
            select(Alert).where(Alert.incident_id == found.id).order_by(Alert.first_seen)
        )
        return IncidentRecord(
            incident_view(found),
            events,
            tuple(followup_json(f) for f in followups),
            tuple(
                AlertView(a.title, a.link, a.source, a.status, a.first_seen, a.count)
                for a in alerts
            ),
        )


def visible_ids(factory: sessionmaker[Session], ids: list[int], user_id: str | None) -> set[int]:
    """Those of `ids` `user_id` may see."""
    query = select(Incident.id).where(Incident.id.in_(ids), visible_clause(user_id))
    with factory() as session:
        return set(session.scalars(query))


CSV_FIELDS = (
    "id",
    "reference",
    "title",
    "status",
    "severity",
    "component",
    "private",
    "drill",
    "channel_id",
    "commander",
    "closure_reason",
    "postmortem_url",
    "created_at",
    "version",
    "started_at",
    "detected_at",
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "closed_at",
)
"""The CLI's JSON field names (`incident list --format json`), milestones flattened."""


def csv_row(incident: Incident) -> list[Any]:
    """One incident as the CSV's cells (the CLI's JSON values)."""
    data = incident_json(incident)
    data.update(data.pop("milestones"))
    return ["" if data.get(name) is None else data[name] for name in CSV_FIELDS]


SPECIAL = ("reference", "commander")


def _csv_columns() -> list[Any]:
    """The CSV's columns read straight from the tables (no ORM objects: ten times faster on
    a full export); `csv_row` says what each holds, and a test keeps them equal."""
    commander = (
        select(IncidentRole.user_id)
        .where(IncidentRole.incident_id == Incident.id, IncidentRole.role == "commander")
        .order_by(IncidentRole.id)
        .limit(1)
        .scalar_subquery()
    )
    by_name: dict[str, Any] = {
        name: getattr(Incident, name) for name in CSV_FIELDS if name not in SPECIAL
    }
    by_name.update(reference=Incident.id, commander=commander)
    return [by_name[name].label(name) for name in CSV_FIELDS]


def _cell(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name == "reference":
        return f"INC-{value}"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def csv_stream(
    factory: sessionmaker[Session],
    filters: Filters,
    user_id: str | None,
    zone: ZoneInfo,
    *,
    chunk: int = CSV_CHUNK,
) -> Iterator[str]:
    """The filtered list as CSV, streamed a chunk of rows at a time from a server-side
    cursor, so memory stays flat however many incidents match."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    yield buffer.getvalue()
    columns = _csv_columns()
    with factory() as session:
        quick_reads(session)
        for part in open_then_closed(filtered(filters, user_id, zone)):
            query = part.with_only_columns(*columns).execution_options(yield_per=chunk)
            for rows in session.execute(query).partitions(chunk):
                buffer.seek(0)
                buffer.truncate()
                writer.writerows(
                    [_cell(name, value) for name, value in zip(CSV_FIELDS, row, strict=True)]
                    for row in rows
                )
                yield buffer.getvalue()
