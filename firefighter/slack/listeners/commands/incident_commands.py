"""`/incident` subcommands about incidents: declare, list, and those that act in a channel."""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

from slack_sdk import WebClient

from firefighter.incidents import lifecycle
from firefighter.incidents.authorization import Action
from firefighter.incidents.errors import AlreadyProcessed, InvalidInput
from firefighter.incidents.lifecycle import ClosureReason
from firefighter.incidents.read import IncidentView
from firefighter.incidents.service import CLOSURE_REASONS, ROLES, normalise_role
from firefighter.slack.blocks.common import as_dicts
from firefighter.slack.blocks.incident_blocks import fallback_text, incident_list
from firefighter.slack.blocks.modals import close_modal, declare_modal
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import Reply
from firefighter.slack.listeners.refusals import form_not_opened
from firefighter.slack.mrkdwn import mentioned_users
from firefighter.slack.outage import SLACK_FAILED, slack_error
from firefighter.text import plural

log = logging.getLogger(__name__)

MOVES = ("investigating", "mitigating", "mitigated")
IN_CHANNEL = {
    "status",
    "update",
    "severity",
    "sev",
    "role",
    "close",
    "reopen",
    "postmortem",
    *MOVES,
}


def open_declare(
    ctx: SlackContext,
    client: WebClient,
    command: dict[str, Any],
    title: str,
    *,
    drill: bool = False,
) -> Reply | None:
    """Open the declare modal in this request, while the trigger id is valid."""
    view = declare_modal(
        title=title,
        severities=ctx.settings.severities,
        components=ctx.settings.components,
        channel_id=str(command.get("channel_id") or ""),
        drill=drill,
        paging=page_choice(ctx),
    )
    try:
        client.views_open(trigger_id=str(command.get("trigger_id") or ""), view=view)
    except SLACK_FAILED as error:
        log.warning("views.open failed: %s", slack_error(error))
        # The title typed after `declare` still only prefills the form; nothing else to offer.
        return Reply(form_not_opened(error, "run the command again"))
    return None


def page_choice(ctx: SlackContext) -> tuple[bool, str] | None:
    """The declare modal's paging box: unticked, the rules deciding, as its hint says."""
    paging = ctx.paging
    if paging is None:
        return None
    automatic = [s for s in ctx.settings.severity_names if paging.automatic(s, None)]
    hint = f"Else {', '.join(automatic)} page anyway" if automatic else "Else nobody is paged"
    return False, hint


def list_open(ctx: SlackContext, user_id: str) -> Reply:
    """Open incidents, most severe first; private ones only for their members."""
    incidents = ctx.read.open_incidents(user_id, ctx.settings.severity_names)
    rendered = as_dicts(incident_list(incidents))
    return Reply(f"{plural(len(incidents), 'open incident')}", rendered)


def in_channel(
    ctx: SlackContext,
    client: WebClient,
    command: dict[str, Any],
    incident: IncidentView,
    sub: str,
    rest: str,
    user_id: str,
) -> Reply | None:
    """The subcommands that act on the channel's incident."""
    service = ctx.service
    ref = incident.reference
    # A private incident's channel is closed to others; a forged command from outside it is
    # told what an unknown incident would tell.
    service.may(incident.id, Action.SEE, user_id)
    if sub == "status":
        card = as_dicts(ctx.card(incident))
        return Reply(fallback_text(incident), card)
    if sub == "update":
        # Socket Mode sends an envelope again when its acknowledgement was lost (a dropped
        # socket): the same trigger_id, so the same update is posted once.
        trigger = str(command.get("trigger_id") or "")
        with contextlib.suppress(AlreadyProcessed):
            service.add_update(
                incident.id,
                rest,
                actor=user_id,
                request_key=f"command:update:{trigger}" if trigger else None,
            )
        return Reply(f"Update posted to {ref}.")
    if sub in ("severity", "sev"):
        if not rest:
            names = ", ".join(ctx.settings.severity_names)
            raise InvalidInput(f"Say which severity: `severity SEV2`. Choices: {names}.")
        changed = service.set_severity(incident.id, rest.split()[0], actor=user_id)
        return Reply(f"{ref} is now {changed.severity}.")
    if sub == "role":
        return assign_role(ctx, incident, rest, user_id)
    if sub in MOVES:
        moved = service.transition(incident.id, sub, actor=user_id)
        return Reply(f"{ref} is now {moved.status}.")
    if sub == "close":
        return close(ctx, client, command, incident, rest, user_id)
    if sub == "reopen":
        target, reason = _reopen_args(rest)
        reopened = service.reopen(incident.id, reason=reason, actor=user_id, target=target)
        return Reply(f"{ref} is reopened and {reopened.status}.")
    if sub == "postmortem":
        return postmortem(ctx, incident, user_id)
    raise InvalidInput(f"Unknown subcommand {sub!r}.")


def assign_role(ctx: SlackContext, incident: IncidentView, rest: str, user_id: str) -> Reply:
    """`role commander|comms|scribe @user`."""
    role, _, who = rest.partition(" ")
    if not role:
        raise InvalidInput("Say which role and who: `role commander @someone`.")
    users = mentioned_users(who)
    if not users:
        if who.strip().startswith("@"):
            raise InvalidInput(
                "Pick the person from Slack's @ suggestions so that Slack sends their id."
            )
        raise InvalidInput(f"Say who takes the role: `role {role} @someone`.")
    changed = ctx.service.assign_role(incident.id, role, users[0], actor=user_id)
    label = ROLES[normalise_role(role)].lower()
    return Reply(f"<@{users[0]}> is now the {label} of {changed.reference}.")


def close(
    ctx: SlackContext,
    client: WebClient,
    command: dict[str, Any],
    incident: IncidentView,
    rest: str,
    user_id: str,
) -> Reply | None:
    """Close now, or ask for the reason in a modal when the lifecycle needs one."""
    if not rest and lifecycle.can_close_early(incident.status):
        try:
            client.views_open(
                trigger_id=str(command.get("trigger_id") or ""),
                view=close_modal(incident, ctx.service.failure_classes),
            )
        except SLACK_FAILED:
            others = ", ".join(r for r in CLOSURE_REASONS if r != ClosureReason.DUPLICATE)
            return Reply(
                f"{incident.reference} is {incident.status}; closing it now needs a reason: "
                f"`close {ClosureReason.DUPLICATE}` (or {others})."
            )
        return None
    closed = ctx.service.close(incident.id, actor=user_id, reason=rest or None)
    return Reply(f"{closed.reference} is closed ({closed.closure_reason}).")


def _reopen_args(rest: str) -> tuple[str, str]:
    match = re.match(r"(investigating|mitigating)\b\s*(.*)", rest, flags=re.IGNORECASE | re.S)
    if match:
        return match.group(1).lower(), match.group(2)
    return lifecycle.INVESTIGATING, rest


def postmortem(ctx: SlackContext, incident: IncidentView, user_id: str) -> Reply:
    """Start the post-mortem, or export it again: the core decides which (or refuses)."""
    if ctx.service.postmortem(incident.id, actor=user_id):
        return Reply(f"{incident.reference} is now in post-mortem; the page is being written.")
    return Reply(f"The post-mortem of {incident.reference} is being exported again.")
