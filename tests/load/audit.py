"""What Slack shows, checked against what the database says should be there.

Shared by the tests that run a storm or a rollout (tests/test_storm.py, tests/test_shutdown.py,
tests/load/flaky.py) and by the benches that run big ones (bench/storm.py, bench/rolling.py):
one channel, pinned card and announcement per incident, drawn in the final state; every
timeline event posted once; no dead letters.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from firefighter.bootstrap import Core
from firefighter.db import utcnow
from firefighter.emulators.slack import Message, SlackEmulator, blocks_text
from firefighter.incidents import effects
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.outbox.models import OutboxItem
from firefighter.slack.blocks.common import as_dicts
from firefighter.slack.blocks.incident_blocks import (
    announcement,
    event_text,
    fallback_text,
    incident_card,
    postmortem_link,
)
from firefighter.slack.context import card_context

CHANNEL_NAME = re.compile(r"^inc-\d{8}-(\d+)-")
REFERENCE = re.compile(r"\bINC-(\d+)\b")


@dataclass
class Audit:
    """What Slack shows, checked against the database."""

    incidents: int = 0
    channels: int = 0
    cards: int = 0
    announcements: int = 0
    events_expected: int = 0
    events_posted: int = 0
    dead: int = 0
    pending: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report, one fact a line."""
        out = [
            f"incidents {self.incidents} | channels {self.channels} | pinned cards "
            f"{self.cards} | announcements {self.announcements}",
            f"timeline events to post {self.events_expected} (channel + announcement thread "
            f"for updates), posted {self.events_posted}",
            f"outbox: dead letters {self.dead}, still pending {self.pending}",
            f"duplicate messages: {len(self.duplicates)}",
        ]
        out += [f"    duplicate: {line}" for line in self.duplicates[:20]]
        out.append(f"lost effects: {len(self.lost)}")
        out += [f"    lost: {line}" for line in self.lost[:20]]
        return out


@dataclass
class _Stored:
    """What the database says, read in one session."""

    incidents: list[Incident]
    events: dict[int, TimelineEvent]
    posts: list[OutboxItem]
    published: list[OutboxItem]
    dead: int
    pending: int


def _read(core: Core) -> _Stored:
    with core.factory() as session:
        incidents = list(
            session.scalars(
                select(Incident).options(selectinload(Incident.roles)).order_by(Incident.id)
            )
        )
        events = {e.id: e for e in session.scalars(select(TimelineEvent))}

        def items(kind: str) -> list[OutboxItem]:
            return list(session.scalars(select(OutboxItem).where(OutboxItem.kind == kind)))

        posts, published = items(effects.POST_EVENT), items(effects.POSTMORTEM_PUBLISHED)
    _, dead, pending = outbox_state(core.factory)
    return _Stored(incidents, events, posts, published, dead, pending)


class _Auditor:
    """Walks the emulator's state once per check; `audit` is the entry point."""

    def __init__(self, core: Core, emulator: SlackEmulator, incidents_channel: str) -> None:
        self.core = core
        self.bot = emulator.bot_user_id
        self.channels = {c.id: c for c in emulator.channels}
        self.incidents_channel = incidents_channel
        self.result = Audit()

    def said(self, channel_id: str) -> list[Message]:
        """The bot's messages in a channel, replies included (none if no such channel)."""
        channel = self.channels.get(channel_id)
        return [m for m in channel.messages if m.user == self.bot] if channel else []

    def repeated_texts(self) -> None:
        """Any text twice in one channel or thread is a duplicate, whatever posted it."""
        for channel in self.channels.values():
            places: dict[str | None, Counter[str]] = {}
            for message in self.said(channel.id):
                where = message.thread_ts if message.is_reply else None
                places.setdefault(where, Counter())[message.text] += 1
            for thread_ts, texts in places.items():
                label = f"#{channel.name}" + (f" thread {thread_ts}" if thread_ts else "")
                self.result.duplicates += [
                    f"{label}: {text[:90]!r} ×{n}" for text, n in texts.items() if n > 1
                ]

    def incident(self, incident: Incident) -> None:
        """Its channel, pinned card and announcement: there, alone, and in the final state."""
        ref, result = incident.reference, self.result
        extra = [
            c.name
            for c in self.channels.values()
            if c.creator == self.bot
            and (m := CHANNEL_NAME.match(c.name)) is not None
            and int(m.group(1)) == incident.id
            and c.id != incident.channel_id
        ]
        result.duplicates += [f"{ref}: extra channel #{name}" for name in extra]
        channel = self.channels.get(incident.channel_id or "")
        if channel is None:
            result.lost.append(f"{ref}: no channel")
            return
        result.channels += 1
        context = card_context(self.core.service, self.core.settings, incident)
        cards = [
            m
            for m in self.said(channel.id)
            if not m.is_reply and m.blocks and m.blocks[0].get("type") == "header"
        ]
        result.duplicates += [f"{ref}: extra card {m.ts}" for m in cards[1:]]
        card = next((m for m in cards if m.ts == incident.card_ts), None)
        if card is None or incident.card_ts not in channel.pins:
            result.lost.append(f"{ref}: no pinned card")
        else:
            result.cards += 1
            drawn = as_dicts(incident_card(incident, context))
            if card.text != fallback_text(incident) or (
                blocks_text(card.blocks) != blocks_text(drawn)
            ):
                result.lost.append(f"{ref}: the card does not show it {incident.status}")
        announced = [
            m
            for m in self.said(self.incidents_channel)
            if not m.is_reply
            and m.text.startswith(":fire: ")
            and (found := REFERENCE.search(m.text)) is not None
            and int(found.group(1)) == incident.id
        ]
        result.duplicates += [f"{ref}: extra announcement {m.ts}" for m in announced[1:]]
        shown = next((m for m in announced if m.ts == incident.announcement_ts), None)
        if shown is None:
            result.lost.append(f"{ref}: no announcement")
            return
        result.announcements += 1
        drawn = as_dicts(announcement(incident, context))
        if shown.text != ":fire: " + fallback_text(incident) or (
            blocks_text(shown.blocks) != blocks_text(drawn)
        ):
            result.lost.append(f"{ref}: the announcement does not show it {incident.status}")

    def event(self, event: TimelineEvent, incident: Incident) -> None:
        """The event in the channel, and an update also in the announcement's thread."""
        wanted = event_text(event, incident)
        places: list[tuple[str, str | None]] = [(incident.channel_id or "", None)]
        if event.kind == "update" and incident.announcement_ts:
            places.append((incident.announcement_channel or "", incident.announcement_ts))
        for channel_id, thread_ts in places:
            self.result.events_expected += 1
            if any(
                m.text == wanted and (m.thread_ts == thread_ts if thread_ts else not m.is_reply)
                for m in self.said(channel_id)
            ):
                self.result.events_posted += 1
            else:
                where = "thread" if thread_ts else "channel"
                self.result.lost.append(
                    f"{incident.reference}: {event.kind} event {event.id} not in the {where}"
                )


def audit(core: Core, emulator: SlackEmulator, incidents_channel: str) -> Audit:
    """Compare the emulator's channels with the database's incidents, events and outbox."""
    stored = _read(core)
    auditor = _Auditor(core, emulator, incidents_channel)
    result = auditor.result
    result.incidents, result.dead, result.pending = (
        len(stored.incidents),
        stored.dead,
        stored.pending,
    )
    if stored.dead:
        result.lost.append(f"{stored.dead} dead-lettered outbox item(s)")
    if stored.pending:
        result.lost.append(f"{stored.pending} outbox item(s) never delivered")
    auditor.repeated_texts()
    by_id = {i.id: i for i in stored.incidents}
    for incident in stored.incidents:
        auditor.incident(incident)
    for item in stored.posts:
        event = stored.events.get(int(item.payload["event_id"]))
        owner = by_id.get(int(item.payload["incident_id"]))
        if event is None or owner is None:
            result.lost.append(f"outbox item {item.id}: its event or incident is gone")
        else:
            auditor.event(event, owner)
    for item in stored.published:
        owner = by_id.get(int(item.payload["incident_id"]))
        wanted = postmortem_link(str(item.payload["url"]), bool(item.payload["first"]))
        if owner is None or not any(wanted in m.text for m in auditor.said(owner.channel_id or "")):
            result.lost.append(f"post-mortem link of outbox item {item.id} not posted")
    return result


def outbox_state(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    """(delivered, dead, pending) outbox items."""
    with factory() as session:

        def count(*where: ColumnElement[bool]) -> int:
            return int(
                session.scalar(select(func.count()).select_from(OutboxItem).where(*where)) or 0
            )

        return (
            count(OutboxItem.delivered_at.is_not(None)),
            count(OutboxItem.dead_at.is_not(None)),
            count(OutboxItem.delivered_at.is_(None), OutboxItem.dead_at.is_(None)),
        )


def leases_held(factory: sessionmaker[Session], pid: int) -> int:
    """Outbox items leased right now by the worker process `pid`."""
    with factory() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    OutboxItem.locked_by.like(f"%:{pid}:%"),
                    OutboxItem.locked_until > utcnow(),
                    OutboxItem.delivered_at.is_(None),
                )
            )
            or 0
        )
