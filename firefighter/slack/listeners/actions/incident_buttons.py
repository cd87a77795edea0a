"""Buttons and menus on the card and the announcement."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from firefighter.incidents.errors import AlreadyProcessed, IncidentError
from firefighter.logs import incident_id_var
from firefighter.slack.blocks.incident_blocks import (
    ACTION_PREFIX,
    CLOSE_ACTION,
    REOPEN_ACTION,
    SEVERITY_ACTION,
    STATUS_ACTION,
    parse_action_value,
)
from firefighter.slack.blocks.modals import close_modal, reopen_modal
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import acknowledge, click_key, say_privately, user_of
from firefighter.slack.listeners.refusals import form_not_opened
from firefighter.slack.outage import SLACK_FAILED, guarded, slack_error

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the status buttons, the severity menu and the close/reopen dialogs.

    A click's answer carries nothing (Slack ignores it), so it is sent before the work;
    refusals reach the clicker through `response_url`.
    """

    def status_button(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        target = str(action["action_id"]).split(":", 1)[1]
        run(
            ctx,
            respond,
            lambda incident_id, drawn, key: ctx.service.transition(
                incident_id,
                target,
                actor=user_of(body),
                expected_status=drawn,
                request_key=key,
            ),
            action.get("value"),
            body,
            action,
        )

    def severity_menu(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        severity = str((action.get("selected_option") or {}).get("value") or "")
        block_id = str(action.get("block_id") or "")
        run(
            ctx,
            respond,
            lambda incident_id, drawn, key: ctx.service.set_severity(
                incident_id, severity, actor=user_of(body), expected_status=drawn, request_key=key
            ),
            block_id.removeprefix(f"{ACTION_PREFIX}:"),
            body,
            action,
        )

    def close_dialog(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        open_dialog(
            ctx,
            client,
            respond,
            body,
            action,
            lambda incident: close_modal(incident, ctx.service.failure_classes),
        )

    def reopen_dialog(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        open_dialog(ctx, client, respond, body, action, reopen_modal)

    app.action(re.compile(rf"^{STATUS_ACTION}:"))(ack=acknowledge, lazy=[guarded(status_button)])
    app.action(SEVERITY_ACTION)(ack=acknowledge, lazy=[guarded(severity_menu)])
    app.action(CLOSE_ACTION)(ack=acknowledge, lazy=[guarded(close_dialog)])
    app.action(REOPEN_ACTION)(ack=acknowledge, lazy=[guarded(reopen_dialog)])


def run(
    ctx: SlackContext,
    respond: Respond,
    command: Any,
    value: Any,
    body: dict[str, Any],
    action: dict[str, Any],
) -> None:
    """Parse `<id>:<status>`, run the service command, and explain any refusal."""
    try:
        incident_id, drawn = parse_action_value(str(value or ""))
        incident_id_var.set(incident_id)
    except ValueError:
        say_privately(
            respond,
            "That button is not one FireFighter drew; use the card in the incident channel.",
        )
        return
    try:
        command(incident_id, drawn, click_key(body, action))
    except AlreadyProcessed:
        return
    except IncidentError as error:
        say_privately(respond, f":warning: {ctx.said(error)}")


def open_dialog(
    ctx: SlackContext,
    client: WebClient,
    respond: Respond,
    body: dict[str, Any],
    action: dict[str, Any],
    build: Any,
) -> None:
    """Open the close or reopen modal for the clicked incident, if it still applies."""
    try:
        incident_id, drawn = parse_action_value(str(action.get("value") or ""))
        incident = ctx.service.as_drawn(incident_id, drawn)
    except (ValueError, IncidentError) as error:
        say_privately(respond, f":warning: {ctx.said(error)}")
        return
    try:
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=build(incident))
    except SLACK_FAILED as error:
        log.warning("views.open failed: %s", slack_error(error))
        say_privately(respond, form_not_opened(error, "click again"))
