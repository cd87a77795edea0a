"""Submissions of the forms the message shortcuts open: pick an incident, declare."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from firefighter.incidents.errors import IncidentError
from firefighter.slack.blocks.conversation_blocks import PICK_CALLBACK, parse_message_ref
from firefighter.slack.chat_messages import Unreadable, read_message
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import form_errors, user_of
from firefighter.slack.listeners.refusals import record_id
from firefighter.slack.listeners.shortcuts.timeline_shortcut import DECLARE_FROM_MESSAGE, pin
from firefighter.slack.listeners.views.incident_forms import declare_submission, values_of

FOREIGN = "This form is not one FireFighter opened."


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the two forms."""

    @app.view(PICK_CALLBACK)
    def picked(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user_id = user_of(body)
        try:
            channel, ts = parse_message_ref(str(view.get("private_metadata") or ""))
            incident_id = record_id(values_of(view).get("incident"))
        except ValueError:
            ack(**form_errors("incident", "Pick the incident this message belongs to."))
            return
        try:
            # The list showed only what this person may see; a forged value must not
            # reach a private incident either.
            ctx.read.visible_incident(incident_id, user_id)
            message = read_message(client, channel, ts)
            pin(ctx, incident_id, message, user_id)
        except (Unreadable, IncidentError) as error:
            ack(**form_errors("incident", ctx.said(error)))
            return
        ack()

    @app.view(DECLARE_FROM_MESSAGE)
    def declare(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        try:
            channel, ts = parse_message_ref(str(view.get("private_metadata") or ""))
        except ValueError:
            ack(**form_errors("title", FOREIGN))
            return
        try:
            message = read_message(client, channel, ts)
        except Unreadable as error:
            ack(**form_errors("title", str(error)))
            return
        assert ctx.messages is not None
        ack(
            **declare_submission(
                ctx, body, view, declare=partial(ctx.messages.declare_from, message)
            )
        )
