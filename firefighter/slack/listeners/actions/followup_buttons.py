"""Follow-up buttons: Done, Snooze a week (on lists and reminders), and Add (opens the form)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from firefighter.incidents.errors import AlreadyProcessed, IncidentError, NotFound
from firefighter.slack.blocks.followup_blocks import (
    ADD_ACTION,
    DONE_ACTION,
    SNOOZE_ACTION,
    followup_modal,
)
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import (
    acknowledge,
    click_key,
    incident_of,
    say_privately,
    user_of,
)
from firefighter.slack.listeners.refusals import form_not_opened, record_id
from firefighter.slack.outage import SLACK_FAILED, guarded, slack_error

log = logging.getLogger(__name__)


def _followup_id(action: dict[str, Any]) -> int:
    try:
        return record_id(action.get("value"))
    except ValueError:
        raise NotFound("That button is not one FireFighter drew.") from None


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the follow-up buttons."""

    def done(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        if ctx.followups is None:
            return
        try:
            closed = ctx.followups.close(
                _followup_id(action), actor=user_of(body), request_key=click_key(body, action)
            )
        except AlreadyProcessed:
            return
        except IncidentError as error:
            say_privately(respond, f":warning: {ctx.said(error)}")
            return
        say_privately(respond, f":white_check_mark: Follow-up #{closed.id} is done.")

    def snooze(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        if ctx.followups is None:
            return
        try:
            snoozed = ctx.followups.snooze(_followup_id(action), actor=user_of(body))
        except IncidentError as error:
            say_privately(respond, f":warning: {ctx.said(error)}")
            return
        until = snoozed.snoozed_until.isoformat() if snoozed.snoozed_until else "next week"
        say_privately(respond, f":zzz: No reminder about #{snoozed.id} before {until}.")

    def add(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        try:
            incident = incident_of(ctx, action.get("value"))
            client.views_open(
                trigger_id=str(body.get("trigger_id") or ""), view=followup_modal(incident)
            )
        except IncidentError as error:
            say_privately(respond, f":warning: {ctx.said(error)}")
        except SLACK_FAILED as error:
            log.warning("views.open failed: %s", slack_error(error))
            say_privately(respond, form_not_opened(error, "click again"))

    app.action(DONE_ACTION)(ack=acknowledge, lazy=[guarded(done)])
    app.action(SNOOZE_ACTION)(ack=acknowledge, lazy=[guarded(snooze)])
    app.action(ADD_ACTION)(ack=acknowledge, lazy=[guarded(add)])
