"""Facts the adapters record about an incident: what Slack made, who is in the channel.

These are not user changes, so they never bump the incident's version: a button drawn
before the channel existed, or before someone joined, stays valid.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import transaction, utcnow
from firefighter.incidents import effects
from firefighter.incidents.models import Incident, IncidentMember
from firefighter.incidents.unit_of_work import Clock, write_unversioned
from firefighter.outbox import enqueue

SLACK_REFS = frozenset(
    {"channel_id", "channel_name", "announcement_channel", "announcement_ts", "card_ts"}
)
"""The columns `record_slack` may set; anything else is a mistake of the adapter's."""


class AdapterFacts:
    """Writes adapter facts, each in its own short transaction, without a version bump."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self.factory = factory
        self.clock = clock

    def record_slack(self, incident_id: int, **refs: str | None) -> None:
        """Remember what the Slack adapter made (channel, card, announcement).

        These are not user changes, so they do not bump the version: a button drawn
        before the channel existed stays valid.
        """
        unknown = sorted(set(refs) - SLACK_REFS)
        if unknown:
            # Said loudly: a misspelt key would otherwise lose a channel or a card for good.
            raise TypeError(f"record_slack records {sorted(SLACK_REFS)}, not {unknown}")
        if not refs:
            return
        values = dict(refs)
        with transaction(self.factory) as session:
            write_unversioned(session, incident_id, **values)

    def add_members(self, incident_id: int, user_ids: list[str]) -> None:
        """Remember people who are in the incident (invited or joined); no version bump."""
        if not user_ids:
            return
        with transaction(self.factory) as session:
            for user_id in dict.fromkeys(user_ids):
                self._member(session, incident_id, user_id)

    def joined(self, incident_id: int, user_id: str) -> None:
        """Someone joined the channel: a member now, and shown where the incident stands."""
        with transaction(self.factory) as session:
            self._member(session, incident_id, user_id)
            enqueue(
                session,
                effects.WELCOME,
                {"incident_id": incident_id, "user": user_id},
                incident_id=incident_id,
                now=self.clock(),
            )

    def find_by_channel(self, channel_id: str) -> Incident | None:
        """The incident whose channel is `channel_id`."""
        with self.factory() as session:
            return session.scalar(select(Incident).where(Incident.channel_id == channel_id))

    def _member(self, session: Session, incident_id: int, user_id: str) -> None:
        add_member(session, incident_id, user_id, self.clock())


def add_member(session: Session, incident_id: int, user_id: str, at: datetime) -> None:
    """`user_id` is in the incident from `at` on, unless known already."""
    if session.get(IncidentMember, (incident_id, user_id)) is None:
        session.add(IncidentMember(incident_id=incident_id, user_id=user_id, added_at=at))
