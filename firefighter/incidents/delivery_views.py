"""What the outbox handlers read: plain frozen data, each read in its own short session.

A handler calls these and gets values, never a session or an ORM row, so nothing it holds
can lazy-load behind its back or be written by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents.errors import NotFound
from firefighter.incidents.followup_models import OPEN, FollowUp
from firefighter.incidents.queries import get_incident


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


@dataclass(frozen=True)
class FollowUpView:
    """A follow-up as its Jira issue needs it."""

    id: int
    incident_id: int
    title: str
    owner: str | None
    status: str
    jira_key: str | None

    @property
    def is_open(self) -> bool:
        """Whether it is still to do."""
        return self.status == OPEN


def followup_view(factory: sessionmaker[Session], followup_id: int) -> FollowUpView:
    """The follow-up; NotFound if there is none."""
    with factory() as session:
        found = session.get(FollowUp, followup_id)
        if found is None:
            raise NotFound(f"There is no follow-up #{followup_id}.")
        return FollowUpView(
            found.id, found.incident_id, found.title, found.owner, found.status, found.jira_key
        )
