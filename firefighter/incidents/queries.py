"""Read-only queries and the stable JSON shape of an incident."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from firefighter.incidents.authorization import Facts, not_found
from firefighter.incidents.errors import InvalidInput
from firefighter.incidents.followup_queries import followup_json, list_followups
from firefighter.incidents.lifecycle import Status, is_known
from firefighter.incidents.models import Incident, IncidentMember, TimelineEvent
from firefighter.text import truncate


def parse_reference(text: str) -> int:
    """`12`, `INC-12` or `inc12` as an incident id, or InvalidInput."""
    match = re.fullmatch(r"\s*(?:inc-?)?(\d{1,12})\s*", text or "", flags=re.IGNORECASE)
    if not match:
        shown = truncate(text or "", 40)
        raise InvalidInput(f"{shown!r} is not an incident reference; use a number or INC-<number>.")
    return int(match.group(1))


def get_incident(session: Session, incident_id: int) -> Incident:
    """The incident, or NotFound."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise not_found(incident_id)
    return incident


def get_visible(
    session: Session, incident_id: int, user_id: str | None, *, admin: bool
) -> Incident:
    """The incident if `user_id` may see it; otherwise the very refusal of an unknown one."""
    incident = get_incident(session, incident_id)
    if not visible_to(session, [incident], user_id, admin=admin):
        raise not_found(incident_id)
    return incident


def incident_facts(session: Session, incident: Incident) -> Facts:
    """What the authorisation table needs to know about `incident`."""
    members = session.scalars(
        select(IncidentMember.user_id).where(IncidentMember.incident_id == incident.id)
    )
    return Facts(
        incident_id=incident.id,
        private=bool(incident.private),
        commander=incident.holder("commander"),
        holders=tuple(dict.fromkeys(role.user_id for role in incident.roles)),
        members=frozenset(members) | ({incident.declarer} if incident.declarer else set()),
    )


def list_incidents(
    session: Session,
    *,
    status: str | None = None,
    active_only: bool = False,
    severity_order: list[str] | None = None,
) -> list[Incident]:
    """Incidents by status (or all not closed); most severe first if an order is given."""
    query = select(Incident)
    if status:
        if not is_known(status):
            states = ", ".join(s.value for s in Status)
            raise InvalidInput(f"Unknown status {status!r}. Statuses are: {states}.")
        query = query.where(Incident.status == status)
    if active_only:
        query = query.where(Incident.status != Status.CLOSED.value)
    if severity_order:
        rank = case({name: i for i, name in enumerate(severity_order)}, value=Incident.severity)
        query = query.order_by(rank, Incident.declared_at.desc())
    else:
        query = query.order_by(Incident.id.desc())
    return list(session.scalars(query))


def timeline(session: Session, incident_id: int) -> list[TimelineEvent]:
    """The incident's events, oldest first."""
    return list(
        session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.at, TimelineEvent.id)
        )
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def incident_json(incident: Incident) -> dict[str, Any]:
    """The fields other tools rely on (DESIGN.md), plus a few extras."""
    return {
        "id": incident.id,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "channel_id": incident.channel_id,
        "commander": incident.holder("commander"),
        "private": incident.private,
        "created_at": _iso(incident.created_at),
        "postmortem_url": incident.postmortem_url,
        "reference": incident.reference,
        "drill": incident.drill,
        "component": incident.component,
        "closure_reason": incident.closure_reason,
        "version": incident.version,
        "milestones": {
            "started_at": _iso(incident.started_at),
            "detected_at": _iso(incident.detected_at),
            "declared_at": _iso(incident.declared_at),
            "acknowledged_at": _iso(incident.acknowledged_at),
            "mitigated_at": _iso(incident.mitigated_at),
            "closed_at": _iso(incident.closed_at),
        },
        "roles": {role.role: role.user_id for role in incident.roles},
    }


def event_json(event: TimelineEvent) -> dict[str, Any]:
    """One timeline entry as `{at, kind, actor, text}`."""
    return {"at": _iso(event.at), "kind": event.kind, "actor": event.actor, "text": event.text}


def incident_detail_json(session: Session, incident: Incident) -> dict[str, Any]:
    """`incident_json` plus the timeline and the follow-ups."""
    data = incident_json(incident)
    data["timeline"] = [event_json(e) for e in timeline(session, incident.id)]
    data["followups"] = [followup_json(f) for f in list_followups(session, incident_id=incident.id)]
    return data


def is_member(session: Session, incident_id: int, user_id: str) -> bool:
    """Whether `user_id` is among the incident's members."""
    return session.get(IncidentMember, (incident_id, user_id)) is not None


def visible_to(
    session: Session, incidents: list[Incident], user_id: str | None, *, admin: bool = False
) -> list[Incident]:
    """The one visibility rule for every list and picker: drop the private incidents
    `user_id` is not a member of (declarer, role holder, channel member); admins see all."""
    private_ids = [i.id for i in incidents if i.private]
    if not private_ids or admin or user_id is None:
        return incidents
    member_of = set(
        session.scalars(
            select(IncidentMember.incident_id).where(
                IncidentMember.incident_id.in_(private_ids), IncidentMember.user_id == user_id
            )
        )
    )
    holders = {i.id for i in incidents if i.private and user_id in {r.user_id for r in i.roles}}
    declared = {i.id for i in incidents if i.private and i.declarer == user_id}
    seen = member_of | holders | declared
    return [i for i in incidents if not i.private or i.id in seen]
