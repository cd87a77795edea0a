"""The card's Page on-call button."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from firefighter.incidents.errors import IncidentError
from firefighter.logs import incident_id_var
from firefighter.slack.blocks.paging import PAGE_ACTION
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import acknowledge, say_privately, user_of


def register(app: App, ctx: SlackContext) -> None:
    """Listen to Page on-call (value `<incident id>:<service>`)."""

    def page_button(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        head, _, service = str(action.get("value") or "").partition(":")
        paging = ctx.paging
        if paging is None or not head.isdigit():
            say_privately(
                respond, "Paging is not set up here; ask an operator (FIREFIGHTER_PAGING)."
            )
            return
        incident_id_var.set(int(head))
        try:
            page = paging.page(int(head), service or None, actor=user_of(body))
        except IncidentError as error:
            say_privately(respond, f":warning: {ctx.said(error)}")
            return
        say_privately(
            respond, f":pager: Paging the {page.service} on-call; the card shows who answers."
        )

    app.action(PAGE_ACTION)(ack=acknowledge, lazy=[page_button])
