"""The nudges' buttons and menu: post an update (modal), snooze, pick the failure class."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from firefighter.incidents.errors import AlreadyProcessed, IncidentError
from firefighter.slack.blocks.modals import update_modal
from firefighter.slack.blocks.reminder_blocks import (
    FAILURE_CLASS_ACTION,
    FAILURE_CLASS_BLOCK,
    SNOOZE_ACTION,
    UPDATE_ACTION,
)
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import (
    acknowledge,
    click_key,
    incident_of,
    replace_message,
    say_privately,
    user_of,
)
from firefighter.slack.listeners.refusals import form_not_opened
from firefighter.slack.outage import SLACK_FAILED, guarded, slack_error

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the reminder buttons and the failure-class menu."""

    def post_update(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        try:
            incident = incident_of(ctx, action.get("value"))
        except IncidentError as error:
            say_privately(respond, f":warning: {ctx.said(error)}")
            return
        try:
            client.views_open(
                trigger_id=str(body.get("trigger_id") or ""), view=update_modal(incident)
            )
        except SLACK_FAILED as error:
            log.warning("views.open failed: %s", slack_error(error))
            say_privately(respond, form_not_opened(error, "click again"))

    def snooze(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        minutes = ctx.settings.snooze_minutes
        user_id = user_of(body)
        try:
            incident = incident_of(ctx, action.get("value"))
            ctx.service.snooze_reminders(
                incident.id, minutes=minutes, actor=user_id, request_key=click_key(body, action)
            )
        except AlreadyProcessed:
            return
        except IncidentError as error:
            say_privately(respond, f":warning: {ctx.said(error)}")
            return
        # Replacing the nudge removes its buttons: the snooze is visible to everyone.
        replace_message(
            respond,
            f":zzz: Update reminders for {incident.reference} snoozed for {minutes} min "
            f"by <@{user_id}>.",
        )

    def failure_class(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        chosen = str((action.get("selected_option") or {}).get("value") or "")
        block_id = str(action.get("block_id") or "")
        user_id = user_of(body)
        try:
            incident = incident_of(ctx, block_id.removeprefix(f"{FAILURE_CLASS_BLOCK}:"))
            ctx.service.set_failure_class(
                incident.id, chosen, actor=user_id, request_key=click_key(body, action)
            )
        except AlreadyProcessed:
            return
        except IncidentError as error:
            say_privately(respond, f":warning: {ctx.said(error)}")
            return
        replace_message(
            respond,
            f":mag: {incident.reference} is classed as *{ctx.service.failure_class(chosen)}* "
            f"(by <@{user_id}>).",
        )

    app.action(UPDATE_ACTION)(ack=acknowledge, lazy=[guarded(post_update)])
    app.action(SNOOZE_ACTION)(ack=acknowledge, lazy=[guarded(snooze)])
    app.action(FAILURE_CLASS_ACTION)(ack=acknowledge, lazy=[guarded(failure_class)])
