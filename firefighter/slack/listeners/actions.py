"""Buttons and menus on the card and the announcement."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter.incidents.errors import AlreadyProcessed, IncidentError, NotFound
from firefighter.incidents.models import Incident
from firefighter.observability import incident_id_var
from firefighter.slack import blocks
from firefighter.slack.context import SlackContext

log = logging.getLogger(__name__)


def acknowledge(ack: Ack) -> None:
    """Answer Slack at once; the work runs right after, in Bolt's lazy-listener thread."""
    ack()


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the status buttons, the severity menu and the close/reopen dialogs.

    A click's answer carries nothing (Slack ignores it), so it is sent before the work;
    refusals reach the clicker through `response_url`.
    """

    def status_button(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        target = str(action["action_id"]).split(":", 1)[1]
        run(
            respond,
            lambda incident_id, drawn, key: ctx.service.transition(
                incident_id,
                target,
                actor=_user(body),
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
            respond,
            lambda incident_id, drawn, key: ctx.service.set_severity(
                incident_id, severity, actor=_user(body), expected_status=drawn, request_key=key
            ),
            block_id.removeprefix(f"{blocks.ACTION_PREFIX}:"),
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
            lambda incident: blocks.close_modal(incident, ctx.service.failure_classes),
        )

    def reopen_dialog(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        open_dialog(ctx, client, respond, body, action, blocks.reopen_modal)

    app.action(re.compile(rf"^{blocks.STATUS_ACTION}:"))(ack=acknowledge, lazy=[status_button])
    app.action(blocks.SEVERITY_ACTION)(ack=acknowledge, lazy=[severity_menu])
    app.action(blocks.CLOSE_ACTION)(ack=acknowledge, lazy=[close_dialog])
    app.action(blocks.REOPEN_ACTION)(ack=acknowledge, lazy=[reopen_dialog])


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _key(body: dict[str, Any], action: dict[str, Any]) -> str:
    # The same click delivered twice carries the same user, action and action_ts.
    return f"action:{_user(body)}:{action.get('action_id')}:{action.get('action_ts')}"


def say_privately(respond: Respond, text: str) -> None:
    """Answer only the clicker, leaving the message they clicked untouched."""
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:  # an expired response_url must not turn into an error page
        log.warning("could not answer through response_url: %s", text)


def run(
    respond: Respond, command: Any, value: Any, body: dict[str, Any], action: dict[str, Any]
) -> None:
    """Parse `<id>:<status>`, run the service command, and explain any refusal."""
    try:
        incident_id, drawn = blocks.parse_action_value(str(value or ""))
        incident_id_var.set(incident_id)
    except ValueError:
        say_privately(
            respond,
            "That button is not one FireFighter drew; use the card in the incident channel.",
        )
        return
    try:
        command(incident_id, drawn, _key(body, action))
    except AlreadyProcessed:
        return
    except IncidentError as error:
        say_privately(respond, f":warning: {error}")


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
        incident_id, drawn = blocks.parse_action_value(str(action.get("value") or ""))
        with ctx.core.factory() as session:
            incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"There is no incident INC-{incident_id}.")
    except (ValueError, IncidentError) as error:
        say_privately(respond, f":warning: {error}")
        return
    if drawn is not None and incident.status != drawn:
        say_privately(
            respond,
            f":warning: {incident.reference} changed since you looked at it: it is now "
            f"{incident.status} ({incident.severity}). Nothing was changed.",
        )
        return
    try:
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=build(incident))
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        say_privately(respond, "Slack did not open the form in time; click again.")
