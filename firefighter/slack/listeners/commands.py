"""`/incident …`: parse the text, call the service, answer the user ephemerally."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter.gameday import slack_commands as gameday_commands
from firefighter.incidents import lifecycle, queries
from firefighter.incidents.errors import IncidentError, InvalidInput
from firefighter.incidents.models import Incident
from firefighter.incidents.service import ROLES, normalise_role
from firefighter.observability import incident_id_var
from firefighter.slack import blocks
from firefighter.slack.context import SlackContext
from firefighter.slack.text import escape, mentioned_users
from firefighter.stats import slack_reply

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


@dataclass
class Reply:
    """What the command answers: text and optional blocks, always ephemeral."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def ack(self, ack: Ack) -> None:
        """Acknowledge the command with this reply."""
        if self.blocks:
            ack(text=self.text, blocks=self.blocks)
        else:
            ack(text=self.text)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the configured slash command."""

    @app.command(ctx.settings.command)
    def incident_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        reply = handle(ctx, command, client)
        if reply is None:
            ack()
        else:
            reply.ack(ack)


def handle(ctx: SlackContext, command: dict[str, Any], client: WebClient) -> Reply | None:
    """Run one `/incident` invocation; None means a modal was opened and nothing is said."""
    text = str(command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    sub = word.lower()
    rest = rest.strip()
    user_id = str(command.get("user_id") or "")
    channel_id = str(command.get("channel_id") or "")
    name = ctx.settings.command
    try:
        if sub in ("", "help"):
            return Reply(blocks.help_text(name))
        if sub == "declare":
            return open_declare(ctx, client, command, rest)
        if sub == "drill":
            return open_declare(ctx, client, command, rest, drill=True)
        if sub == "gameday":
            return Reply(gameday_commands.handle(ctx, rest, user_id))
        if sub == "list":
            return list_open(ctx, user_id)
        if sub == "stats":
            text, stats_blocks = slack_reply(ctx, rest)
            return Reply(text, stats_blocks)
        if sub not in IN_CHANNEL:
            return Reply(
                f"I don't know `{escape(word[:40])}`. Here is what I can do:\n\n"
                + blocks.help_text(name)
            )
        incident = ctx.service.find_by_channel(channel_id) if channel_id else None
        if incident is None:
            return Reply(
                f"`{name} {sub}` works inside an incident channel. "
                f"Use `{name} list` to find the channel of an open incident, or "
                f"`{name} declare` to declare a new one."
            )
        incident_id_var.set(incident.id)
        return in_channel(ctx, client, command, incident, sub, rest, user_id)
    except IncidentError as error:
        return Reply(f":warning: {error}")


def open_declare(
    ctx: SlackContext,
    client: WebClient,
    command: dict[str, Any],
    title: str,
    *,
    drill: bool = False,
) -> Reply | None:
    """Open the declare modal in this request, while the trigger id is valid."""
    view = blocks.declare_modal(
        title=title,
        severities=ctx.settings.severities,
        components=ctx.settings.components,
        channel_id=str(command.get("channel_id") or ""),
        drill=drill,
    )
    try:
        client.views_open(trigger_id=str(command.get("trigger_id") or ""), view=view)
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        # The title typed after `declare` still only prefills the form; nothing else to offer.
        return Reply("Slack did not open the form in time; run the command again.")
    return None


def list_open(ctx: SlackContext, user_id: str) -> Reply:
    """Open incidents, most severe first; private ones only for their members."""
    with ctx.core.factory() as session:
        incidents = queries.list_incidents(
            session, active_only=True, severity_order=ctx.settings.severity_names
        )
        incidents = queries.visible_to(session, incidents, user_id)
    rendered = blocks.as_dicts(blocks.incident_list(incidents))
    return Reply(f"{len(incidents)} open incident(s)", rendered)


def in_channel(
    ctx: SlackContext,
    client: WebClient,
    command: dict[str, Any],
    incident: Incident,
    sub: str,
    rest: str,
    user_id: str,
) -> Reply | None:
    """The subcommands that act on the channel's incident."""
    service = ctx.service
    ref = incident.reference
    if sub == "status":
        card = blocks.as_dicts(ctx.card(incident))
        return Reply(blocks.fallback_text(incident), card)
    if sub == "update":
        service.add_update(incident.id, rest, actor=user_id)
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


def assign_role(ctx: SlackContext, incident: Incident, rest: str, user_id: str) -> Reply:
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
    incident: Incident,
    rest: str,
    user_id: str,
) -> Reply | None:
    """Close now, or ask for the reason in a modal when the lifecycle needs one."""
    if not rest and lifecycle.can_close_early(incident.status):
        try:
            client.views_open(
                trigger_id=str(command.get("trigger_id") or ""),
                view=blocks.close_modal(incident, ctx.service.failure_classes),
            )
        except SlackApiError:
            return Reply(
                f"{incident.reference} is {incident.status}; closing it now needs a reason: "
                "`close duplicate` (or resolved, false_positive, superseded, external, cancelled)."
            )
        return None
    closed = ctx.service.close(incident.id, actor=user_id, reason=rest or None)
    return Reply(f"{closed.reference} is closed ({closed.closure_reason}).")


def _reopen_args(rest: str) -> tuple[str, str]:
    match = re.match(r"(investigating|mitigating)\b\s*(.*)", rest, flags=re.IGNORECASE | re.S)
    if match:
        return match.group(1).lower(), match.group(2)
    return lifecycle.INVESTIGATING, rest


def postmortem(ctx: SlackContext, incident: Incident, user_id: str) -> Reply:
    """Move a mitigated incident to postmortem; otherwise export (again) the post-mortem."""
    if incident.status == lifecycle.MITIGATED:
        ctx.service.transition(incident.id, lifecycle.POSTMORTEM, actor=user_id)
        return Reply(f"{incident.reference} is now in post-mortem; the page is being written.")
    if lifecycle.is_active(incident.status):
        raise InvalidInput(
            f"{incident.reference} is {incident.status}; write the post-mortem once it is "
            "mitigated."
        )
    ctx.service.request_postmortem(incident.id, actor=user_id)
    return Reply(f"The post-mortem of {incident.reference} is being exported again.")
