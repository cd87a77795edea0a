"""What the outbox handlers made, reported back as data and recorded by the core.

A handler (Slack, Jira, a paging vendor) never writes to the database: it returns these
frozen outcomes, and the dispatcher hands each to the recorder below in the transaction that
marks the item delivered. What a handler made is thus known exactly when its delivery is,
and a delivery that dies half-way leaves neither (the retry finds what it made outside).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from firefighter.incidents.adapter_facts import add_member
from firefighter.incidents.alerts import AlertService
from firefighter.incidents.unit_of_work import Clock, write_unversioned
from firefighter.outbox import Recorder


@dataclass(frozen=True)
class ChannelOpened:
    """The incident's channel exists in Slack."""

    incident_id: int
    channel_id: str
    channel_name: str


@dataclass(frozen=True)
class IncidentCardPosted:
    """The incident's card is posted in its channel."""

    incident_id: int
    ts: str


@dataclass(frozen=True)
class AnnouncementPosted:
    """The incident is announced in `channel` (the incidents channel)."""

    incident_id: int
    channel: str
    ts: str


@dataclass(frozen=True)
class MembersAdded:
    """People are now in the incident's channel (invited, or paged and joined)."""

    incident_id: int
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class AlertCardDrawn:
    """A triage card shows `changes` of the group's round `round`, at `channel`/`ts`."""

    group_id: int
    round: int
    changes: int
    channel: str | None
    ts: str | None


@dataclass(frozen=True)
class StormCardDrawn:
    """A storm card shows `changes` of the storm's round `round`, at `channel`/`ts`."""

    storm_id: int
    round: int
    changes: int
    channel: str | None
    ts: str | None


def outcome_recorders(alerts: AlertService, clock: Clock) -> dict[type, Recorder]:
    """How each outcome is written; the composition root registers them with dispatchers."""

    def channel_opened(session: Session, made: ChannelOpened) -> None:
        # Facts, not user changes: no version bump, so buttons drawn before stay valid.
        write_unversioned(
            session, made.incident_id, channel_id=made.channel_id, channel_name=made.channel_name
        )

    def card_posted(session: Session, made: IncidentCardPosted) -> None:
        write_unversioned(session, made.incident_id, card_ts=made.ts)

    def announced(session: Session, made: AnnouncementPosted) -> None:
        write_unversioned(
            session, made.incident_id, announcement_channel=made.channel, announcement_ts=made.ts
        )

    def members(session: Session, made: MembersAdded) -> None:
        at = clock()
        for user_id in dict.fromkeys(made.user_ids):
            add_member(session, made.incident_id, user_id, at)

    def alert_card(session: Session, made: AlertCardDrawn) -> None:
        alerts.card_drawn(
            session,
            made.group_id,
            round=made.round,
            changes=made.changes,
            channel=made.channel,
            ts=made.ts,
        )

    def storm_card(session: Session, made: StormCardDrawn) -> None:
        alerts.storm_drawn(
            session,
            made.storm_id,
            round=made.round,
            changes=made.changes,
            channel=made.channel,
            ts=made.ts,
        )

    written: dict[type, Callable[[Session, Any], None]] = {
        ChannelOpened: channel_opened,
        IncidentCardPosted: card_posted,
        AnnouncementPosted: announced,
        MembersAdded: members,
        AlertCardDrawn: alert_card,
        StormCardDrawn: storm_card,
    }
    return written
