"""The Slack side of reminders: the nudges' Block Kit and the outbox handlers that post them.

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
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from firefighter.bootstrap import Core
from firefighter.incidents import effects, reminders
from firefighter.incidents.models import UPDATE_MAX, Incident
from firefighter.incidents.service import ROLES
from firefighter.outbox import Dispatcher, Message, PermanentFailure, RetryLater
from firefighter.slack import posting
from firefighter.slack.effects import slack_errors
from firefighter.slack.text import duration, escape, truncate, user

log = logging.getLogger(__name__)

UPDATE_ACTION = "reminder_update"
SNOOZE_ACTION = "reminder_snooze"
FAILURE_CLASS_ACTION = "failure_class"
FAILURE_CLASS_BLOCK = "failure_class"
UPDATE_CALLBACK = "reminder_update"
OPTION_MAX = 75
TITLE_SHOWN = 80
# Slack answers these when a channel is gone; a nudge for it can only be dropped.
GONE = {"is_archived", "channel_not_found", "not_in_channel"}


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(text, 3000))


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=truncate(text, limit), emoji=True)


def _name(incident: Incident) -> str:
    # Titles of private incidents stay in their (private) channel; a DM names the reference.
    if incident.private:
        return f"*{incident.reference}*"
    return f"*{incident.reference}* ({escape(truncate(incident.title, TITLE_SHOWN))})"


def update_nudge(incident: Incident, *, minutes: int, snooze_minutes: int) -> list[Block]:
    """In the channel: no update for the interval; buttons to post one or to snooze."""
    commander = incident.holder("commander")
    text = (
        f":bell: {user(commander)} {incident.reference} has had no update for "
        f"{duration(minutes * 60)}. Post one so that everyone knows where things stand."
    )
    return [
        SectionBlock(text=_md(text)),
        ActionsBlock(
            block_id=f"reminder:{incident.id}",
            elements=[
                ButtonElement(
                    text=_plain("Post an update", OPTION_MAX),
                    action_id=UPDATE_ACTION,
                    value=str(incident.id),
                    style="primary",
                ),
                ButtonElement(
                    text=_plain(f"Snooze {snooze_minutes} min", OPTION_MAX),
                    action_id=SNOOZE_ACTION,
                    value=str(incident.id),
                ),
            ],
        ),
    ]


def roles_nudge_text(incident: Incident, missing: Sequence[str], command: str) -> str:
    """In the channel: a major incident still lacks a communications lead or a scribe."""
    aliases = {"communications": "comms"}
    lacking = " and no ".join(ROLES[role].lower() for role in missing)
    how = ", ".join(f"`{command} role {aliases.get(role, role)} @someone`" for role in missing)
    return (
        f":busts_in_silhouette: {user(incident.holder('commander'))} this {incident.severity} "
        f"still has no {lacking}. Ask someone to take it: {how}."
    )


def postmortem_dm_text(incident: Incident, mitigated_at: datetime, due_days: int) -> str:
    """In a direct message to the commander: the post-mortem is overdue."""
    where = f" in <#{incident.channel_id}>" if incident.channel_id else ""
    return (
        f":memo: The post-mortem of {_name(incident)} is overdue: the incident was mitigated on "
        f"{mitigated_at:%Y-%m-%d} and its post-mortem is due within {due_days} working days. "
        f"Run `/incident postmortem`{where} to start it."
    )


def failure_class_prompt(incident: Incident, classes: Sequence[str]) -> list[Block]:
    """In the channel: which class of failure was it? A menu of the configured classes."""
    options = [Option(value=c, text=_plain(c, OPTION_MAX)) for c in classes[:100]]
    return [
        SectionBlock(
            block_id=f"{FAILURE_CLASS_BLOCK}:{incident.id}",
            text=_md(
                f":mag: Where did {incident.reference}'s failure come from? Picking a class "
                "helps the organisation learn where its failures come from."
            ),
            accessory=StaticSelectElement(
                action_id=FAILURE_CLASS_ACTION,
                placeholder=_plain("Failure class", OPTION_MAX),
                options=options,
            ),
        )
    ]


def update_modal(incident: Incident) -> View:
    """The "Post an update" form."""
    return View(
        type="modal",
        callback_id=UPDATE_CALLBACK,
        title=_plain(f"Update {incident.reference}", 24),
        submit=_plain("Post", 24),
        close=_plain("Cancel", 24),
        private_metadata=str(incident.id),
        blocks=[
            InputBlock(
                block_id="update",
                label=_plain("What changed?", 2000),
                element=PlainTextInputElement(
                    action_id="update",
                    multiline=True,
                    max_length=UPDATE_MAX,
                    placeholder=_plain("Impact, what was tried, what comes next", 150),
                ),
            )
        ],
    )


class ReminderEffects:
    """Outbox handlers for the nudges."""

    def __init__(self, core: Core, client: WebClient) -> None:
        self.core = core
        self.client = client

    def register(self, dispatcher: Dispatcher) -> None:
        """Register a handler for each reminder effect."""
        handlers: dict[str, Callable[[Message], None]] = {
            effects.REMIND_UPDATE: self.update,
            effects.REMIND_ROLES: self.roles,
            effects.REMIND_POSTMORTEM: self.postmortem,
            effects.ASK_FAILURE_CLASS: self.failure_class,
        }
        for kind, handler in handlers.items():
            dispatcher.register(kind, handler)

    def _due(self, message: Message, kind: str) -> Incident | None:
        """The incident, if the nudge still makes sense; None to drop it quietly."""
        with self.core.factory() as session:
            incident = session.get(Incident, int(message.payload["incident_id"]))
            if incident is None:
                raise PermanentFailure("the incident no longer exists")
            decided_at = datetime.fromisoformat(str(message.payload["decided_at"]))
            if not reminders.still_due(kind, incident, decided_at):
                log.info("%s nudge for %s no longer due", kind, incident.reference)
                return None
            return incident

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
                posting.OncePoster(self.core.factory, self.client).post_and_mark(
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
            snooze_minutes=self.core.settings.snooze_minutes,
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
        self._post(
            message, incident, roles_nudge_text(incident, missing, self.core.settings.command)
        )

    def postmortem(self, message: Message) -> None:
        """Tell the commander, in a direct message, that the post-mortem is overdue."""
        incident = self._due(message, reminders.POSTMORTEM_DUE)
        if incident is None:
            return
        user_id = str(message.payload.get("user") or "")
        if not user_id:
            raise PermanentFailure(f"{incident.reference} has no commander to tell")
        poster = posting.OncePoster(self.core.factory, self.client)
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
                    incident, mitigated_at, int(message.payload.get("due_days") or 5)
                ),
            )

    def failure_class(self, message: Message) -> None:
        """Ask the channel for the failure class, with a menu."""
        incident = self._due(message, reminders.FAILURE_CLASS)
        if incident is None:
            return
        blocks = failure_class_prompt(incident, self.core.service.failure_classes)
        self._post(
            message,
            incident,
            text=f"Which class of failure was {incident.reference}?",
            blocks=blocks,
        )


def register(dispatcher: Dispatcher, core: Core, client: WebClient) -> None:
    """Deliver the reminder effects with `client`."""
    ReminderEffects(core, client).register(dispatcher)
