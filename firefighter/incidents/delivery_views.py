"""What the outbox handlers read: plain frozen data, each read in its own short session.

A handler calls these and gets values, never a session or an ORM row, so nothing it holds
can lazy-load behind its back or be written by mistake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents import reminders
from firefighter.incidents.errors import NotFound
from firefighter.incidents.followup_models import FollowUp
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.incidents.queries import get_incident
from firefighter.incidents.read import FollowUpView, followup_view

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncidentSummary:
    """An incident as a message about it elsewhere (a page, a Jira issue) names it."""

    id: int
    reference: str
    title: str
    severity: str
    component: str | None
    private: bool
    channel_id: str | None
    channel_name: str | None
    postmortem_url: str | None


def incident_summary(factory: sessionmaker[Session], incident_id: int) -> IncidentSummary:
    """The incident's summary; NotFound if there is no such incident."""
    with factory() as session:
        incident = get_incident(session, incident_id)
        return IncidentSummary(
            id=incident.id,
            reference=incident.reference,
            title=incident.title,
            severity=incident.severity,
            component=incident.component,
            private=bool(incident.private),
            channel_id=incident.channel_id,
            channel_name=incident.channel_name,
            postmortem_url=incident.postmortem_url,
        )


def read_followup(factory: sessionmaker[Session], followup_id: int) -> FollowUpView:
    """The follow-up (the read side's view); NotFound if there is none."""
    with factory() as session:
        found = session.get(FollowUp, followup_id)
        if found is None:
            raise NotFound(f"There is no follow-up #{followup_id}.")
        return followup_view(found)


# ---- detached rows -------------------------------------------------------------------
# The incident card and the nudges are still drawn from ORM rows (their blocks are shared
# with the listeners); these reads at least keep the session out of the handlers, until the
# blocks draw an incident view.


def detached_incident(factory: sessionmaker[Session], incident_id: int) -> Incident | None:
    """The incident as a row read in a closed session, or None."""
    with factory() as session:
        return session.get(Incident, incident_id)


def detached_event(factory: sessionmaker[Session], event_id: int) -> TimelineEvent | None:
    """The timeline event as a row read in a closed session, or None."""
    with factory() as session:
        return session.get(TimelineEvent, event_id)


def due_nudge(
    factory: sessionmaker[Session], incident_id: int, kind: str, decided_at: datetime
) -> Incident | None:
    """The incident if its nudge `kind`, decided at `decided_at`, still makes sense; else None.

    NotFound when the incident is gone.
    """
    with factory() as session:
        incident = get_incident(session, incident_id)
        if not reminders.still_due(kind, incident, decided_at):
            log.info("%s nudge for %s no longer due", kind, incident.reference)
            return None
        return incident


def followup_and_incident(
    factory: sessionmaker[Session], followup_id: int
) -> tuple[FollowUp, Incident]:
    """The follow-up and its incident, read in a closed session; NotFound if it is gone."""
    with factory() as session:
        found = session.get(FollowUp, followup_id)
        if found is None:
            raise NotFound(f"There is no follow-up #{followup_id}.")
        incident = session.get(Incident, found.incident_id)
        assert incident is not None  # the follow-up's foreign key cascades
        session.expunge_all()
        return found, incident


def last_export_warning(factory: sessionmaker[Session], incident_id: int) -> str | None:
    """What the latest post-mortem export of the incident went out without, or None."""
    with factory() as session:
        data = session.scalar(
            select(TimelineEvent.data)
            .where(
                TimelineEvent.incident_id == incident_id,
                TimelineEvent.kind == "postmortem_published",
            )
            .order_by(TimelineEvent.id.desc())
            .limit(1)
        )
    warning = (data or {}).get("warning")
    return str(warning) if warning else None
