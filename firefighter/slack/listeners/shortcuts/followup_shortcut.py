"""The message shortcut `create_followup`: a follow-up from what someone said.

In an incident channel the follow-up form opens for that incident; elsewhere the same form
asks which open incident (of those the person may see) it belongs to. The title is the
message's first line, cut to the limit; nothing is written until the form is submitted.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from firefighter.slack.blocks.followup_blocks import SHORTCUT, followup_modal, followup_pick_modal
from firefighter.slack.chat_messages import Unreadable
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import say_privately, user_of
from firefighter.slack.listeners.refusals import form_not_opened
from firefighter.slack.listeners.shortcuts.timeline_shortcut import AGAIN, read_target
from firefighter.slack.outage import SLACK_FAILED, slack_error

log = logging.getLogger(__name__)

NO_INCIDENT = (
    "There is no open incident to add a follow-up to. To start one from this message, "
    "use the shortcut *Declare an incident*."
)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the `create_followup` shortcut."""

    @app.shortcut(SHORTCUT)
    def create(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        if ctx.followups is None:
            say_privately(respond, "Follow-ups are not available in this FireFighter.")
            return
        try:
            # Read back, as the timeline shortcuts do: the message must exist and the bot
            # must be able to read the channel.
            message = read_target(client, body)
        except Unreadable as error:
            say_privately(respond, str(error))
            return
        incident = ctx.read.by_channel(message.channel_id)
        if incident is not None:
            view = followup_modal(incident, message.first_line)
        else:
            user_id = user_of(body)
            found = ctx.read.open_incidents(user_id, ctx.settings.severity_names)
            if not found:
                say_privately(respond, NO_INCIDENT)
                return
            view = followup_pick_modal(found, message.first_line)
        try:
            client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except SLACK_FAILED as error:
            log.warning("views.open failed: %s", slack_error(error))
            say_privately(respond, form_not_opened(error, AGAIN))
