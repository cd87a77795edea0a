"""The read side for listeners, the console, the API and the CLI: plain frozen data.

Adapters ask a `Reader` and get views that hold no session and no ORM row, so nothing they
keep can lazy-load, go stale in a way the ORM hides, or be written back by accident. Writes
still go through the services.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents import queries
from firefighter.incidents.alert_queries import alert_json, list_alerts
from firefighter.incidents.errors import NotFound
from firefighter.incidents.followup_models import OPEN, FollowUp
from firefighter.incidents.followup_queries import counts, followup_json, list_followups, owned_open
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.incidents.wording import Words, event_words


@dataclass(frozen=True)
class RoleView:
    """Who holds a role."""

    role: str
    user_id: str


@dataclass(frozen=True)
class IncidentView:
    """An incident as every surface reads it (the row's columns, its roles as assigned)."""

    id: int
    title: str
    description: str
    status: str
    severity: str
    component: str | None
    private: bool
    drill: bool
    channel_id: str | None
    channel_name: str | None
    declarer: str | None
    started_at: datetime | None
    detected_at: datetime | None
    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    closed_at: datetime | None
    closure_reason: str | None
    postmortem_url: str | None
    failure_class: str | None
    version: int
    created_at: datetime
    roles: tuple[RoleView, ...]

    @property
    def reference(self) -> str:
        """The name people use: INC-12."""
        return f"INC-{self.id}"

    def holder(self, role: str) -> str | None:
        """The user holding `role`, or None."""
        return next((r.user_id for r in self.roles if r.role == role), None)


@dataclass(frozen=True)
class EventView:
    """One timeline entry."""

    id: int
    incident_id: int
    at: datetime
    kind: str
    actor: str | None
    text: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class AlertView:
    """One alert linked to an incident, as the console lists it."""

    title: str
    link: str | None
    source: str
    status: str
    first_seen: datetime
    count: int


@dataclass(frozen=True)
class FollowUpView:
    """A follow-up as every surface reads it."""

    id: int
    incident_id: int
    title: str
    owner: str | None
    due: date | None
    status: str
    jira_key: str | None
    jira_url: str | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None

    @property
    def is_open(self) -> bool:
        """Whether it is still to do."""
        return self.status == OPEN


@dataclass(frozen=True)
class IncidentDetail:
    """`incident show`: the stable JSON and each event's words for a plain-text renderer."""

    data: dict[str, Any]
    said: tuple[Words, ...]


@dataclass(frozen=True)
class AlertRow:
    """`alerts list`: the stable JSON and the two times a table shows in local time."""

    data: dict[str, Any]
    first_seen: datetime
    last_seen: datetime


def incident_view(incident: Incident) -> IncidentView:
    """The plain copy of a row read in the caller's session."""
    return IncidentView(
        id=incident.id,
        title=incident.title,
        description=incident.description,
        status=incident.status,
        severity=incident.severity,
        component=incident.component,
        private=bool(incident.private),
        drill=bool(incident.drill),
        channel_id=incident.channel_id,
        channel_name=incident.channel_name,
        declarer=incident.declarer,
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        declared_at=incident.declared_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        closed_at=incident.closed_at,
        closure_reason=incident.closure_reason,
        postmortem_url=incident.postmortem_url,
        failure_class=incident.failure_class,
        version=incident.version,
        created_at=incident.created_at,
        roles=tuple(RoleView(r.role, r.user_id) for r in incident.roles),
    )


def event_view(event: TimelineEvent) -> EventView:
    """The plain copy of a timeline row read in the caller's session."""
    return EventView(
        id=event.id,
        incident_id=event.incident_id,
        at=event.at,
        kind=event.kind,
        actor=event.actor,
        text=event.text,
        data=MappingProxyType(dict(event.data or {})),
    )


def followup_view(followup: FollowUp) -> FollowUpView:
    """The plain copy of a follow-up row read in the caller's session."""
    return FollowUpView(
        id=followup.id,
        incident_id=followup.incident_id,
        title=followup.title,
        owner=followup.owner,
        due=followup.due,
        status=followup.status,
        jira_key=followup.jira_key,
        jira_url=followup.jira_url,
        created_at=followup.created_at,
        closed_at=followup.closed_at,
        closed_by=followup.closed_by,
    )


class Reader:
    """Query functions over one session factory; each opens and closes its own session."""

    def __init__(
        self, factory: sessionmaker[Session], is_admin: Callable[[str], bool] = lambda _: False
    ) -> None:
        self._factory = factory
        self._is_admin = is_admin

    def _visible(self, session: Session, rows: list[Incident], user_id: str) -> list[Incident]:
        # The one visibility rule (queries.visible_to), admins included.
        admin = self._is_admin(user_id) if user_id else False
        return queries.visible_to(session, rows, user_id, admin=admin)

    def incident(self, incident_id: int) -> IncidentView:
        """The incident, or NotFound."""
        with self._factory() as session:
            return incident_view(queries.get_incident(session, incident_id))

    def by_channel(self, channel_id: str) -> IncidentView | None:
        """The incident whose channel is `channel_id`, or None."""
        with self._factory() as session:
            found = session.scalar(select(Incident).where(Incident.channel_id == channel_id))
            return None if found is None else incident_view(found)

    def visible_incident(self, incident_id: int, user_id: str) -> IncidentView:
        """The incident if `user_id` may see it; else the refusal of an unknown one."""
        with self._factory() as session:
            found = queries.get_incident(session, incident_id)
            if not self._visible(session, [found], user_id):
                raise NotFound(f"There is no incident INC-{incident_id}.")
            return incident_view(found)

    def open_incidents(self, user_id: str, severity_order: list[str]) -> list[IncidentView]:
        """Incidents not closed that `user_id` may see, most severe first."""
        with self._factory() as session:
            found = queries.list_incidents(session, active_only=True, severity_order=severity_order)
            return [incident_view(i) for i in self._visible(session, found, user_id or "")]

    def followups(self, incident_id: int) -> list[FollowUpView]:
        """The incident's follow-ups, oldest first."""
        with self._factory() as session:
            return [followup_view(f) for f in list_followups(session, incident_id=incident_id)]

    def followup_counts(self, incident_id: int) -> tuple[int, int]:
        """(open, total) follow-ups of the incident, for its card."""
        with self._factory() as session:
            return counts(session, incident_id)

    def owned_followups(self, user_id: str) -> list[tuple[FollowUpView, str]]:
        """`user_id`'s open follow-ups with their incident's reference, soonest due first;
        a follow-up of a private incident only to a member (its owner usually is)."""
        with self._factory() as session:
            owned = owned_open(session, user_id)
            theirs = list(
                session.scalars(
                    select(Incident).where(Incident.id.in_({f.incident_id for f in owned}))
                )
            )
            seen = {i.id: i.reference for i in self._visible(session, theirs, user_id)}
            return [(followup_view(f), seen[f.incident_id]) for f in owned if f.incident_id in seen]

    def incidents_json(self, status: str | None = None) -> list[dict[str, Any]]:
        """`incident list --format json`: every incident (or those in `status`), newest first."""
        with self._factory() as session:
            return [
                queries.incident_json(i) for i in queries.list_incidents(session, status=status)
            ]

    def incident_detail(self, incident_id: int) -> IncidentDetail:
        """`incident show`: the JSON with timeline and follow-ups, and each event's words."""
        with self._factory() as session:
            found = queries.get_incident(session, incident_id)
            data = queries.incident_detail_json(session, found)
            said = tuple(event_words(e.text, e.data) for e in queries.timeline(session, found.id))
        return IncidentDetail(data=data, said=said)

    def followups_json(
        self, incident_id: int | None = None, *, open_only: bool = False
    ) -> list[dict[str, Any]]:
        """`followup list --format json`, oldest first."""
        with self._factory() as session:
            found = list_followups(session, incident_id=incident_id, open_only=open_only)
            return [followup_json(f) for f in found]

    def alerts(self, limit: int) -> list[AlertRow]:
        """`alerts list`: the alerts seen most recently first."""
        with self._factory() as session:
            return [
                AlertRow(data=alert_json(a), first_seen=a.first_seen, last_seen=a.last_seen)
                for a in list_alerts(session, limit=limit)
            ]
