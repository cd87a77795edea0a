"""Filtered lists for the REST API, as plain JSON-ready data: incidents a page at a time, and
the follow-ups and alerts a caller may see.

The caller is a person (a Slack user id) or an integration (None): an integration sees public
incidents only; a person also the private incidents whose channel they are a member of.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents import queries
from firefighter.incidents.alert_queries import alert_json, list_alerts
from firefighter.incidents.followup_queries import followup_json, list_followups
from firefighter.incidents.models import Incident, IncidentMember


@dataclass(frozen=True)
class IncidentQuery:
    """The API's filters on the incident list, parsed; every one optional."""

    status: str | None = None
    severity: str | None = None
    component: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    drills: bool | None = None
    before: int | None = None
    """Only incidents with a smaller id (the cursor of the page before)."""


def _visible(query: Any, person: str | None) -> Any:
    if person is None:
        return query.where(Incident.private.is_(False))
    members = select(IncidentMember.incident_id).where(IncidentMember.user_id == person)
    return query.where(or_(Incident.private.is_(False), Incident.id.in_(members)))


def _filtered(wanted: IncidentQuery, person: str | None) -> Any:
    query = _visible(select(Incident), person)
    if wanted.status:
        query = query.where(Incident.status == wanted.status)
    if wanted.severity:
        query = query.where(Incident.severity == wanted.severity.upper())
    if wanted.component:
        query = query.where(Incident.component == wanted.component)
    if wanted.q:
        like = f"%{wanted.q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Incident.title.ilike(like), Incident.description.ilike(like)))
    if wanted.since is not None:
        query = query.where(Incident.declared_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(Incident.declared_at < wanted.until)
    if wanted.drills is not None:
        query = query.where(Incident.drill.is_(wanted.drills))
    if wanted.before is not None:
        query = query.where(Incident.id < wanted.before)
    return query


class ListReader:
    """Query functions over one session factory; each opens and closes its own session."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

    def incidents(
        self, wanted: IncidentQuery, person: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` incidents as the CLI's JSON, newest first, and whether more follow."""
        query = _filtered(wanted, person).order_by(Incident.id.desc()).limit(limit + 1)
        with self._factory() as session:
            rows = list(session.scalars(query))
            return [queries.incident_json(i) for i in rows[:limit]], len(rows) > limit

    def detail(self, incident_id: int, person: str | None) -> dict[str, Any] | None:
        """`incident show --format json` of an incident the caller may see, else None."""
        query = _visible(select(Incident), person).where(Incident.id == incident_id)
        with self._factory() as session:
            found: Incident | None = session.scalar(query)
            return None if found is None else queries.incident_detail_json(session, found)

    def sees(self, incident_id: int, person: str | None) -> bool:
        """Whether the caller may see the incident."""
        return bool(self.seen_ids([incident_id], person))

    def seen_ids(self, ids: Iterable[int], person: str | None) -> set[int]:
        """Those of `ids` the caller may see."""
        wanted = _visible(select(Incident.id), person).where(Incident.id.in_(list(ids)))
        with self._factory() as session:
            return set(session.scalars(wanted))

    def followups(
        self, person: str | None, incident_id: int | None, *, open_only: bool
    ) -> list[dict[str, Any]]:
        """Follow-ups of incidents the caller may see, oldest first, as the CLI's JSON."""
        with self._factory() as session:
            visible = set(session.scalars(_visible(select(Incident.id), person)))
            rows = list_followups(session, incident_id=incident_id, open_only=open_only)
            return [followup_json(f) for f in rows if f.incident_id in visible]

    def alerts(self, person: str | None, limit: int) -> list[dict[str, Any]]:
        """Alerts seen most recently first, as the CLI's JSON, less those linked to a private
        incident the caller may not see."""
        with self._factory() as session:
            private = select(Incident.id).where(Incident.private.is_(True))
            hidden = set(session.scalars(private))
            hidden -= set(session.scalars(_visible(select(Incident.id), person)))
            rows = [alert_json(a) for a in list_alerts(session, limit=limit)]
        return [r for r in rows if r["incident_id"] not in hidden]
