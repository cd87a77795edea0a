"""The message shortcuts `add_to_timeline` and `declare_from_message`.

Both read the message again through the Web API rather than trusting the payload alone:
that proves the bot can read the channel (so its ✅ and threaded reply will land) and that
the message still exists. A refusal is one ephemeral sentence; nothing is written.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from firefighter.incidents.errors import IncidentError
from firefighter.incidents.messages import ChatMessage
from firefighter.slack.blocks.conversation_blocks import message_ref, pick_incident_modal
from firefighter.slack.blocks.modals import declare_modal
from firefighter.slack.chat_messages import OWN, Unreadable, read_message
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import say_privately, user_of
from firefighter.slack.listeners.refusals import form_not_opened
from firefighter.slack.outage import SLACK_FAILED, slack_error

log = logging.getLogger(__name__)

ADD_TO_TIMELINE = "add_to_timeline"
DECLARE_FROM_MESSAGE = "declare_from_message"
AGAIN = "use the shortcut again"


def _target(body: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    message = body.get("message") or {}
    channel = str((body.get("channel") or {}).get("id") or "")
    return channel, str(body.get("message_ts") or message.get("ts") or ""), message


def read_target(client: WebClient, body: dict[str, Any]) -> ChatMessage:
    """The shortcut's message, read back; Unreadable with the sentence to show if not."""
    channel, ts, message = _target(body)
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        raise Unreadable(OWN)
    return read_message(client, channel, ts)


def pin(ctx: SlackContext, incident_id: int, message: ChatMessage, user_id: str) -> str:
    """Pin and say what happened, in one sentence."""
    assert ctx.messages is not None
    pinned = ctx.messages.pin(incident_id, message, actor=user_id)
    if pinned.added:
        return f"Added to the timeline of {pinned.reference}."
    return f"That message is in the timeline of {pinned.reference} already."


def register(app: App, ctx: SlackContext) -> None:
    """Listen to both message shortcuts."""

    @app.shortcut(ADD_TO_TIMELINE)
    def add(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        user_id = user_of(body)
        try:
            message = read_target(client, body)
        except Unreadable as error:
            say_privately(respond, str(error))
            return
        incident = ctx.read.by_channel(message.channel_id)
        if incident is not None:
            try:
                say_privately(respond, pin(ctx, incident.id, message, user_id))
            except IncidentError as error:
                say_privately(respond, ctx.said(error))
            return
        found = ctx.read.open_incidents(user_id, ctx.settings.severity_names)
        if not found:
            say_privately(
                respond,
                "There is no open incident to add it to. To start one from this message, "
                "use the shortcut *Declare an incident*.",
            )
            return
        view = pick_incident_modal(found, message.channel_id, message.ts)
        try:
            client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except SLACK_FAILED as error:
            log.warning("views.open failed: %s", slack_error(error))
            say_privately(respond, form_not_opened(error, AGAIN))

    @app.shortcut(DECLARE_FROM_MESSAGE)
    def declare(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        try:
            message = read_target(client, body)
        except Unreadable as error:
            say_privately(respond, str(error))
            return
        description = message.text.strip() or message.timeline_text
        if message.permalink:
            description = f"{description}\n\nFrom {message.permalink}"
        view = declare_modal(
            title=message.first_line,
            severities=ctx.settings.severities,
            components=ctx.settings.components,
            description=description,
            callback_id=DECLARE_FROM_MESSAGE,
            metadata=message_ref(message.channel_id, message.ts),
        )
        try:
            client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except SLACK_FAILED as error:
            log.warning("views.open failed: %s", slack_error(error))
            say_privately(respond, form_not_opened(error, AGAIN))
