"""`/incident freeze [component] [until]` and `/incident unfreeze [component]`.

A freeze closes the chaos gate (`GET /chaos/gate`) for a component, or for every component,
until a time or until lifted, so experiments that ask the gate stop themselves. Who may:
`may_freeze` in the core (role holders of an active real incident, and admins).
"""

from __future__ import annotations

from firefighter.incidents.chaos import ChaosService, parse_until
from firefighter.incidents.errors import InvalidInput
from firefighter.slack.context import SlackContext
from firefighter.slack.mrkdwn import escape

FREEZE_SUBCOMMANDS = ("freeze", "unfreeze")


def freeze_reply(ctx: SlackContext, sub: str, rest: str, user_id: str) -> str:
    """Set or lift a freeze; the answer to show the user (Forbidden/InvalidInput propagate)."""
    chaos = ChaosService(ctx.service, admins=ctx.settings.admins)
    words = rest.split()
    if sub == "unfreeze":
        if len(words) > 1:
            raise InvalidInput(
                f"Say which component to unfreeze: `{ctx.settings.command} unfreeze payments`."
            )
        return escape(chaos.lift(words[0] if words else None, actor=user_id))
    if len(words) > 2:
        raise InvalidInput(
            f"Usage: `{ctx.settings.command} freeze [component] [until]`, e.g. "
            f"`{ctx.settings.command} freeze payments 2h` or `… freeze payments 2026-12-24`."
        )
    component: str | None = None
    until = None
    now = ctx.service.clock()
    for word in words:
        try:
            until = parse_until(word, now, ctx.settings.zone)
        except InvalidInput:
            if component is not None:
                raise
            component = word
    return escape(chaos.freeze(component, until, actor=user_id))
