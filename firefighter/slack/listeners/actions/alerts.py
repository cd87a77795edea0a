"""The triage card's buttons: Declare, Attach and Dismiss each open their form."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from firefighter.incidents import queries
from firefighter.incidents.alert_models import TRIAGE
from firefighter.incidents.alerts import CardState
from firefighter.incidents.errors import IncidentError
from firefighter.slack.blocks.alerts import (
    ATTACH_ACTION,
    DECLARE_ACTION,
    DECLARE_CALLBACK,
    DISMISS_ACTION,
    attach_modal,
    dismiss_modal,
    group_value,
    parse_group_value,
)
from firefighter.slack.blocks.modals import declare_modal
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import acknowledge, say_privately, user_of
from firefighter.slack.listeners.refusals import form_not_opened

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the three buttons; the decision itself is the form's submission."""

    def declare(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        def build(state: CardState) -> View:
            return declare_modal(
                title=state.title,
                severities=ctx.settings.severities,
                components=ctx.settings.components,
                description=state.description,
                started_at=state.started_at,
                callback_id=DECLARE_CALLBACK,
                metadata=group_value(state),
            )

        open_form(ctx, client, respond, body, action, build)

    def attach(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        user_id = user_of(body)

        def build(state: CardState) -> View:
            with ctx.factory() as session:
                incidents = queries.list_incidents(
                    session, active_only=True, severity_order=ctx.settings.severity_names
                )
                # The one visibility rule: a private incident shows only to its members.
                incidents = ctx.visible(session, incidents, user_id)
            return attach_modal(state, [i for i in incidents if not i.drill])

        open_form(ctx, client, respond, body, action, build)

    def dismiss(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        open_form(ctx, client, respond, body, action, dismiss_modal)

    app.action(DECLARE_ACTION)(ack=acknowledge, lazy=[declare])
    app.action(ATTACH_ACTION)(ack=acknowledge, lazy=[attach])
    app.action(DISMISS_ACTION)(ack=acknowledge, lazy=[dismiss])


def open_form(
    ctx: SlackContext,
    client: WebClient,
    respond: Respond,
    body: dict[str, Any],
    action: dict[str, Any],
    build: Callable[[CardState], View],
) -> None:
    """Open the form for the clicked group, if it still awaits triage."""
    if ctx.alerts is None:
        say_privately(respond, "Alert intake is not set up on this FireFighter.")
        return
    try:
        group_id, round_ = parse_group_value(str(action.get("value") or ""))
        state = ctx.alerts.card_state(group_id)
    except (ValueError, IncidentError):
        say_privately(respond, ":warning: That button is not one FireFighter drew.")
        return
    if state.state != TRIAGE or state.round != round_:
        say_privately(
            respond,
            f":warning: These alerts were already handled ({state.state}); nothing was changed.",
        )
        return
    try:
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=build(state))
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        say_privately(respond, form_not_opened(error, "click again"))
