"""Events API: a 📌 on a message in an incident channel adds it to the timeline, once."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from firefighter.incidents.errors import IncidentError
from firefighter.slack.chat_messages import Unreadable, read_message
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.events.member_events import first_delivery
from firefighter.slack.outage import SLACK_FAILED, slack_error

log = logging.getLogger(__name__)

PIN_REACTION = "pushpin"


def register(app: App, ctx: SlackContext) -> None:
    """Listen to `reaction_added`; other reactions and other channels are left alone."""

    @app.event("reaction_added")
    def reacted(ack: Ack, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        ack()
        item = event.get("item") or {}
        if event.get("reaction") != PIN_REACTION or item.get("type") != "message":
            return
        if not first_delivery(ctx, body):
            return
        channel, user_id = str(item.get("channel") or ""), str(event.get("user") or "")
        incident = ctx.read.by_channel(channel)
        if incident is None or ctx.messages is None:
            return  # a pin elsewhere is ordinary Slack use, not ours to answer
        try:
            message = read_message(client, channel, str(item.get("ts") or ""))
            ctx.messages.pin(incident.id, message, actor=user_id or None)
        except (Unreadable, IncidentError) as error:
            tell(client, channel, user_id, ctx.said(error))


def tell(client: WebClient, channel: str, user_id: str, text: str) -> None:
    """Say `text` to `user_id` alone in `channel`."""
    try:
        client.chat_postEphemeral(channel=channel, user=user_id, text=text)
    except SLACK_FAILED as error:
        log.warning("could not tell %s: %s (%s)", user_id, text, slack_error(error))
