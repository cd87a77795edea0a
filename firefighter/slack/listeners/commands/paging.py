"""`/incident page [service]` (in an incident channel) and `/incident oncall [component]`."""

from __future__ import annotations

from firefighter.incidents.errors import InvalidInput
from firefighter.incidents.read import IncidentView
from firefighter.slack.blocks.paging import oncall_reply
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import Reply
from firefighter.slack.mrkdwn import escape

NOT_SET_UP = "Paging is not set up here: an operator names the services in FIREFIGHTER_PAGING."


def page(ctx: SlackContext, incident: IncidentView, rest: str, user_id: str) -> Reply:
    """Page a service's on-call (the component's by default) for the channel's incident."""
    paging = ctx.paging
    if paging is None:
        return Reply(NOT_SET_UP)
    paged = paging.page(incident.id, rest.strip() or None, actor=user_id)
    return Reply(
        f":pager: Paging the {escape(paged.service)} on-call for {incident.reference}; "
        "the card shows who is paged and who acknowledges."
    )


def oncall(ctx: SlackContext, rest: str) -> Reply:
    """Who is on call now, per service (the component's, or every service)."""
    reader = ctx.oncall
    if reader is None:
        return Reply(NOT_SET_UP)
    component = rest.strip() or None
    if component and component not in ctx.settings.components:
        names = ", ".join(ctx.settings.components)
        raise InvalidInput(f"There is no component {component!r}; choose one of {names}.")
    services = reader.services_for(component)
    if not services:
        return Reply(
            f"No service pages for {escape(component or '')}: FIREFIGHTER_PAGING names none."
        )
    now = ctx.service.clock()
    answers = reader.who_all(services)
    return Reply("On call now:\n" + oncall_reply(answers, ctx.settings.zone, now))
