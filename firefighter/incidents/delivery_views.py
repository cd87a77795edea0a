"""What the outbox handlers read: plain frozen data, each read in its own short session.

A handler calls these and gets values, never a session or an ORM row, so nothing it holds
can lazy-load behind its back or be written by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents.queries import get_incident


@dataclass(frozen=True)
class ChannelView:
    """Where an incident lives in Slack."""

    incident_id: int
    reference: str
    channel_id: str | None
    channel_name: str | None


def channel_of(factory: sessionmaker[Session], incident_id: int) -> ChannelView:
    """The incident's channel (None until it is opened); NotFound if there is no incident."""
    with factory() as session:
        incident = get_incident(session, incident_id)
        return ChannelView(
            incident.id, incident.reference, incident.channel_id, incident.channel_name
        )
