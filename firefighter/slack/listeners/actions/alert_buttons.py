"""The triage card's buttons: Declare, Attach and Dismiss each open their form."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from firefighter.incidents import rules
from firefighter.incidents.alert_models import TRIAGE
from firefighter.incidents.alerts import CardState
from firefighter.incidents.errors import IncidentError
from firefighter.slack.blocks.alert_cards import (
    ATTACH_ACTION,
    DECLARE_ACTION,
    DECLARE_CALLBACK,
    DISMISS_ACTION,
    attach_modal,
    dismiss_modal,
    group_value,
    parse_group_value,
)
from firefighter.slack.blocks.alert_storms import STORM_ATTACH_ACTION, STORM_DECLARE_ACTION
from firefighter.slack.blocks.modals import declare_modal
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import acknowledge, say_privately, user_of
from firefighter.slack.listeners.refusals import form_not_opened
from firefighter.slack.outage import SLACK_FAILED, guarded, slack_error

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the three buttons and the storm card's two menus; the decision itself is
    the form's submission."""

    def build_declare(state: CardState) -> View:
        return declare_modal(
            title=state.title,
            severities=ctx.settings.severities,
            components=ctx.settings.components,
            description=state.description,
            started_at=state.started_at,
            callback_id=DECLARE_CALLBACK,
            metadata=group_value(state),
        )

    def attach_for(body: dict[str, Any]) -> Callable[[CardState], View]:
        user_id = user_of(body)

        def build(state: CardState) -> View:
            # The one visibility rule: a private incident shows only to its members.
            incidents = ctx.read.open_incidents(user_id, ctx.settings.severity_names)
            takers = [i for i in incidents if rules.takes_alerts(drill=i.drill, status=i.status)]
            return attach_modal(state, takers)

        return build

    def declare(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        open_form(ctx, client, respond, body, action, build_declare)

    def attach(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        open_form(ctx, client, respond, body, action, attach_for(body))

    def dismiss(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        open_form(ctx, client, respond, body, action, dismiss_modal)

    def storm_pick(
        builder: Callable[[dict[str, Any]], Callable[[CardState], View]],
    ) -> Callable[..., None]:
        # A storm card's menu: the picked group is the "value" the card's buttons carry.
        def picked(
            body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
        ) -> None:
            chosen = str((action.get("selected_option") or {}).get("value") or "")
            open_form(ctx, client, respond, body, {**action, "value": chosen}, builder(body))

        return picked

    app.action(STORM_DECLARE_ACTION)(
        ack=acknowledge, lazy=[guarded(storm_pick(lambda _body: build_declare))]
    )
    app.action(STORM_ATTACH_ACTION)(ack=acknowledge, lazy=[guarded(storm_pick(attach_for))])
    app.action(DECLARE_ACTION)(ack=acknowledge, lazy=[guarded(declare)])
    app.action(ATTACH_ACTION)(ack=acknowledge, lazy=[guarded(attach)])
    app.action(DISMISS_ACTION)(ack=acknowledge, lazy=[guarded(dismiss)])


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
    except SLACK_FAILED as error:
        log.warning("views.open failed: %s", slack_error(error))
        say_privately(respond, form_not_opened(error, "click again"))
