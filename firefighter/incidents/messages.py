"""Messages of the conversation in the timeline: pin one, or declare an incident from one.

A pinned message becomes a timeline event of kind `message` whose actor is the message's
author, whose text is the message's text, and whose time is when it was written, so the
timeline reads in the order things were said. The `pinned_messages` key makes a message
enter an incident's timeline once, however many people pin it; removing a pin removes
nothing (the timeline is append-only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firefighter.incidents import effects, lifecycle
from firefighter.incidents.conversation_models import PinnedMessage
from firefighter.incidents.errors import InvalidInput
from firefighter.incidents.models import UPDATE_MAX, Incident
from firefighter.incidents.service import IncidentService
from firefighter.text import truncate

MESSAGE_KIND = "message"


@dataclass(frozen=True)
class ChatMessage:
    """A message as the chat adapter read it."""

    channel_id: str
    ts: str
    author: str | None
    text: str
    written_at: datetime
    permalink: str = ""
    files: Sequence[str] = field(default_factory=tuple)
    thread_ts: str | None = None

    @property
    def timeline_text(self) -> str:
        """The text the timeline keeps: the message (cut to the limit), else its files' names."""
        text = self.text.strip()
        if not text and self.files:
            text = "Shared " + ", ".join(self.files)
        return truncate(text, UPDATE_MAX)

    @property
    def first_line(self) -> str:
        """The message's first non-empty line, or its first file's name."""
        for line in self.text.splitlines():
            if line.strip():
                return line.strip()
        return self.files[0] if self.files else ""


@dataclass(frozen=True)
class Pinned:
    """What a pin did: `added` is False when the message was in the timeline already."""

    reference: str
    added: bool


class MessageService:
    """The commands that bring chat messages into incidents, each one transaction."""

    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents
        self.work = incidents.work

    def pin(self, incident_id: int, message: ChatMessage, *, actor: str | None) -> Pinned:
        """Add `message` to the incident's timeline unless it is there already."""
        try:
            with self.work.begin() as session:
                incident = self.work.load(session, incident_id, None)
                if incident.status == lifecycle.CLOSED:
                    raise InvalidInput(
                        f"{incident.reference} is closed and its timeline is final; "
                        "reopen it first if this message changes the story."
                    )
                added = self.pin_within(session, incident, message, actor=actor)
                return Pinned(incident.reference, added)
        except IntegrityError:
            # Two people pinned the same message at the same moment: the other pin won.
            return Pinned(f"INC-{incident_id}", False)

    def pin_within(
        self,
        session: Session,
        incident: Incident,
        message: ChatMessage,
        *,
        actor: str | None,
        latest: datetime | None = None,
    ) -> bool:
        """Pin inside the caller's transaction (declaring from a message); False if there.

        The event is dated when the message was written, but never after now (a skewed
        clock) nor after `latest`.
        """
        found = session.scalars(
            select(PinnedMessage.id).where(
                PinnedMessage.incident_id == incident.id,
                PinnedMessage.channel_id == message.channel_id,
                PinnedMessage.message_ts == message.ts,
            )
        ).first()
        if found is not None:
            return False
        now = self.work.clock()
        data: dict[str, Any] = {
            "channel": message.channel_id,
            "ts": message.ts,
            "permalink": message.permalink,
            "files": list(message.files),
            "pinned_by": actor,
        }
        if message.thread_ts and message.thread_ts != message.ts:
            data["thread_ts"] = message.thread_ts
        # Nothing to post (the reaction shows it was taken) and nothing drawn changes.
        event = self.work.record(
            session,
            incident,
            MESSAGE_KIND,
            message.author,
            message.timeline_text,
            data,
            redraw=None,
            announce=False,
        )
        event.at = min(message.written_at, now, latest or now)
        session.flush()
        session.add(
            PinnedMessage(
                incident_id=incident.id,
                channel_id=message.channel_id,
                message_ts=message.ts,
                event_id=event.id,
                pinned_by=actor,
                pinned_at=now,
            )
        )
        self.work.enqueue(
            session,
            effects.MESSAGE_PINNED,
            incident,
            {"channel": message.channel_id, "ts": message.ts},
            now=now,
        )
        session.flush()
        return True

    def declare_from(self, message: ChatMessage, *, actor: str | None, **declare: Any) -> Incident:
        """Declare an incident (`declare` as for `IncidentService.declare`) whose timeline
        starts with `message`, and answer in the message's thread once the channel exists."""

        def link(session: Session, incident: Incident) -> None:
            # The message came before the declaration it led to: it opens the timeline.
            before = incident.declared_at - timedelta(milliseconds=1)
            self.pin_within(session, incident, message, actor=actor, latest=before)
            self.work.enqueue(
                session,
                effects.DECLARED_FROM_MESSAGE,
                incident,
                {"channel": message.channel_id, "ts": message.thread_ts or message.ts},
            )

        return self.incidents.declare(actor=actor, link=link, **declare)
