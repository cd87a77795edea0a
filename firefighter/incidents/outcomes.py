"""What the outbox handlers made, reported back as data and recorded by the core.

A handler (Slack, Jira, a paging vendor) never writes to the database: it returns these
frozen outcomes, and the dispatcher hands each to the recorder below in the transaction that
marks the item delivered. What a handler made is thus known exactly when its delivery is,
and a delivery that dies half-way leaves neither (the retry finds what it made outside).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from firefighter.incidents import effects
from firefighter.incidents.adapter_facts import add_member
from firefighter.incidents.alerts import AlertService
from firefighter.incidents.followups import FollowUpService
from firefighter.incidents.paging import PagingService
from firefighter.incidents.postmortem_pages import PostmortemPublished, record_page
from firefighter.incidents.unit_of_work import Clock, UnitOfWork, write_unversioned
from firefighter.outbox import Recorder, enqueue
from firefighter.outbox.models import ProcessedRequest, ledger_key


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


@dataclass(frozen=True)
class JiraIssueLinked:
    """The follow-up's issue is `key` in Jira (created, or adopted after a crash)."""

    followup_id: int
    key: str
    url: str


@dataclass(frozen=True)
class Notice:
    """A handler has news for the incident channel, sent once per `key` (see service.notify)."""

    incident_id: int
    text: str
    key: str


@dataclass(frozen=True)
class PageSent:
    """The vendor accepted our `action` (trigger, acknowledge, resolve) of the page."""

    page_id: int
    action: str
    vendor_url: str | None = None


@dataclass(frozen=True)
class PageCancelled:
    """The page was never sent: the incident closed before the vendor could be reached."""

    page_id: int


@dataclass(frozen=True)
class PageRefused:
    """The vendor refused the page for good (a bad key)."""

    page_id: int
    reason: str


def record_notice(session: Session, notice: Notice, now: datetime) -> None:
    """Queue the notice unless one with its key was queued before (by this or by `notify`)."""
    done = ledger_key(f"notify:{notice.key}")
    if session.get(ProcessedRequest, done) is not None:
        return
    session.add(ProcessedRequest(key=done, created_at=now))
    # No incident_id on the row: see effects.NOTIFY.
    notify = effects.Notify(notice.incident_id, notice.text, notice.key)
    enqueue(session, notify, incident_id=None, now=now)


def outcome_recorders(
    work: UnitOfWork,
    alerts: AlertService,
    followups: FollowUpService,
    paging: PagingService | None,
    clock: Clock,
) -> dict[type, Recorder]:
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

    def jira_linked(session: Session, made: JiraIssueLinked) -> None:
        followups.jira_linked(session, made.followup_id, made.key, made.url)

    def notice(session: Session, made: Notice) -> None:
        record_notice(session, made, clock())

    def postmortem(session: Session, made: PostmortemPublished) -> None:
        record_page(work, session, made)

    written: dict[type, Callable[[Session, Any], None]] = {}
    if paging is not None:
        written.update(paging_recorders(paging))
    written |= {
        JiraIssueLinked: jira_linked,
        Notice: notice,
        PostmortemPublished: postmortem,
        ChannelOpened: channel_opened,
        IncidentCardPosted: card_posted,
        AnnouncementPosted: announced,
        MembersAdded: members,
        AlertCardDrawn: alert_card,
        StormCardDrawn: storm_card,
    }
    return written


def paging_recorders(paging: PagingService) -> dict[type, Recorder]:
    """How the paging outcomes are written (only where paging is configured)."""

    def sent(session: Session, made: PageSent) -> None:
        paging.record_sent(session, made.page_id, made.action, vendor_url=made.vendor_url)

    def cancelled(session: Session, made: PageCancelled) -> None:
        paging.cancel(session, made.page_id)

    def refused(session: Session, made: PageRefused) -> None:
        paging.record_failure(session, made.page_id, made.reason)

    return {PageSent: sent, PageCancelled: cancelled, PageRefused: refused}
