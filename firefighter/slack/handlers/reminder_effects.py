"""The outbox handlers that post the nudges.

Which incident needs a nudge is decided in `firefighter.incidents.reminders`; here we only
draw and deliver, after checking that the nudge still makes sense.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    MarkdownTextObject,
)

from firefighter.incidents import effects, followup_reminders, reminders
from firefighter.incidents.delivery_views import due_nudge, followup_and_incident
from firefighter.incidents.errors import NotFound
from firefighter.incidents.models import Incident
from firefighter.incidents.service import IncidentService
from firefighter.outbox import Dispatcher, Message, PermanentFailure, RetryLater
from firefighter.settings import Settings
from firefighter.slack import posting
from firefighter.slack.blocks.followup_blocks import reminder_blocks, reminder_text
from firefighter.slack.blocks.reminder_blocks import (
    failure_class_prompt,
    postmortem_dm_text,
    roles_nudge_text,
    update_nudge,
)
from firefighter.slack.errors import slack_errors

log = logging.getLogger(__name__)


# Slack answers these when a channel is gone; a nudge for it can only be dropped.
GONE = {"is_archived", "channel_not_found", "not_in_channel"}


class ReminderEffects:
    """Outbox handlers for the nudges."""

    def __init__(self, settings: Settings, service: IncidentService, client: WebClient) -> None:
        self.settings = settings
        self.service = service
        self.client = client

    def register(self, dispatcher: Dispatcher) -> None:
        """Register a handler for each reminder effect."""
        handlers: dict[str, Callable[[Message], None]] = {
            effects.REMIND_UPDATE: self.update,
            effects.REMIND_ROLES: self.roles,
            effects.REMIND_POSTMORTEM: self.postmortem,
            effects.ASK_FAILURE_CLASS: self.failure_class,
            effects.REMIND_FOLLOWUP: self.followup,
        }
        for kind, handler in handlers.items():
            dispatcher.register(kind, handler)

    def _due(self, message: Message, kind: str) -> Incident | None:
        """The incident, if the nudge still makes sense; None to drop it quietly."""
        decided_at = datetime.fromisoformat(str(message.payload["decided_at"]))
        try:
            return due_nudge(
                self.service.factory, int(message.payload["incident_id"]), kind, decided_at
            )
        except NotFound:
            raise PermanentFailure("the incident no longer exists") from None

    def _post(
        self,
        message: Message,
        incident: Incident,
        text: str,
        blocks: Sequence[Block] | None = None,
    ) -> None:
        if not incident.channel_id:
            raise RetryLater(f"{incident.reference} has no channel yet")
        if incident.drill:
            # Every message a drill posts says so, nudges included.
            text = "[DRILL] " + text
            label = ContextBlock(elements=[MarkdownTextObject(text=":performing_arts: *DRILL*")])
            blocks = [label, *(blocks or [])]
        with slack_errors(f"chat.postMessage ({message.kind})"):
            try:
                posting.OncePoster(self.service.factory, self.client).post_and_mark(
                    f"reminder:{message.id}",
                    channel=incident.channel_id,
                    text=text,
                    blocks=[b.to_dict() for b in blocks] if blocks else None,
                )
            except SlackApiError as error:
                if error.response.get("error") not in GONE:
                    raise
                log.info("%s: channel gone, nudge dropped", incident.reference)

    def update(self, message: Message) -> None:
        """Nudge the commander in the channel, with "Post an update" and "Snooze"."""
        incident = self._due(message, reminders.UPDATE)
        if incident is None:
            return
        blocks = update_nudge(
            incident,
            minutes=int(message.payload.get("minutes") or 0),
            snooze_minutes=self.settings.snooze_minutes,
        )
        self._post(
            message,
            incident,
            text=f"{incident.reference} needs an update.",
            blocks=blocks,
        )

    def roles(self, message: Message) -> None:
        """Nudge the channel about the empty communications lead and scribe roles."""
        incident = self._due(message, reminders.ROLES)
        if incident is None:
            return
        missing = reminders.missing_roles({r.role for r in incident.roles})
        self._post(message, incident, roles_nudge_text(incident, missing, self.settings.command))

    def _dm(self, message: Message, user_id: str, text: str, blocks: Sequence[Block]) -> None:
        """One direct message per outbox item, even when the worker dies after posting it."""
        poster = posting.OncePoster(self.service.factory, self.client)
        key = f"reminder:{message.id}"
        if poster.posted(key):
            return
        with slack_errors("conversations.open"):
            opened = self.client.conversations_open(users=user_id)
        channel = str((opened.get("channel") or {}).get("id") or "")
        with slack_errors(f"chat.postMessage ({message.kind})"):
            poster.post_and_mark(
                key, channel=channel, text=text, blocks=[b.to_dict() for b in blocks]
            )

    def followup(self, message: Message) -> None:
        """Remind the owner (or the commander) of a follow-up, with "Done" and "Snooze"."""
        user_id = str(message.payload.get("recipient") or "")
        if not user_id:
            raise PermanentFailure("a follow-up reminder with nobody to tell")
        try:
            found, incident = followup_and_incident(
                self.service.factory, int(message.payload["followup_id"])
            )
        except NotFound:
            raise PermanentFailure("the follow-up no longer exists") from None
        # "Today" in the configured zone, as the decision was: a snooze names a day there.
        today = self.service.clock().astimezone(self.settings.zone).date()
        if not followup_reminders.still_due(found, user_id, today):
            log.info("reminder about follow-up #%s no longer due", found.id)
            return
        reason = str(message.payload.get("reason") or "")
        text = reminder_text(found, incident, reason, self.settings.command)
        self._dm(message, user_id, text, reminder_blocks(found, text))

    def postmortem(self, message: Message) -> None:
        """Tell the commander, in a direct message, that the post-mortem is overdue."""
        incident = self._due(message, reminders.POSTMORTEM_DUE)
        if incident is None:
            return
        user_id = str(message.payload.get("user") or "")
        if not user_id:
            raise PermanentFailure(f"{incident.reference} has no commander to tell")
        poster = posting.OncePoster(self.service.factory, self.client)
        key = f"reminder:{message.id}"
        if poster.posted(key):
            return
        mitigated_at = datetime.fromisoformat(str(message.payload["mitigated_at"]))
        with slack_errors("conversations.open"):
            opened = self.client.conversations_open(users=user_id)
        channel = str((opened.get("channel") or {}).get("id") or "")
        with slack_errors("chat.postMessage (post-mortem reminder)"):
            poster.post_and_mark(
                key,
                channel=channel,
                text=postmortem_dm_text(
                    incident,
                    mitigated_at,
                    int(message.payload.get("due_days") or 5),
                    self.settings.command,
                ),
            )

    def failure_class(self, message: Message) -> None:
        """Ask the channel for the failure class, with a menu."""
        incident = self._due(message, reminders.FAILURE_CLASS)
        if incident is None:
            return
        blocks = failure_class_prompt(incident, self.service.failure_classes)
        self._post(
            message,
            incident,
            text=f"Which class of failure was {incident.reference}?",
            blocks=blocks,
        )
