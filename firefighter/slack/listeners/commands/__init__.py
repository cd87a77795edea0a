"""`/incident …`: parse the text, call the service, answer the user ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from firefighter.incidents.errors import IncidentError
from firefighter.logs import incident_id_var
from firefighter.slack.blocks.incident_blocks import help_text
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.commands import followup_commands, paging
from firefighter.slack.listeners.commands.chaos import FREEZE_SUBCOMMANDS, freeze_reply
from firefighter.slack.listeners.commands.gameday_commands import gameday_reply
from firefighter.slack.listeners.commands.incident_commands import (
    IN_CHANNEL,
    in_channel,
    list_open,
    open_declare,
)
from firefighter.slack.listeners.commands.stats import stats_reply
from firefighter.slack.listeners.common import Reply
from firefighter.slack.mrkdwn import escape


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
            return Reply(help_text(name))
        if sub == "declare":
            return open_declare(ctx, client, command, rest)
        if sub == "drill":
            return open_declare(ctx, client, command, rest, drill=True)
        if sub == "gameday":
            return Reply(gameday_reply(ctx, rest, user_id))
        if sub == "list":
            return list_open(ctx, user_id)
        if sub in FREEZE_SUBCOMMANDS:
            return Reply(freeze_reply(ctx, sub, rest, user_id))
        if sub == "stats":
            text, stats_blocks = stats_reply(ctx, rest)
            return Reply(text, stats_blocks)
        if sub == "oncall":
            return paging.oncall(ctx, rest)
        if sub not in IN_CHANNEL and sub not in followup_commands.SUBCOMMANDS and sub != "page":
            return Reply(
                f"I don't know `{escape(word[:40])}`. Here is what I can do:\n\n" + help_text(name)
            )
        incident = ctx.read.by_channel(channel_id) if channel_id else None
        if incident is None:
            return Reply(
                f"`{name} {sub}` works inside an incident channel. "
                f"Use `{name} list` to find the channel of an open incident, or "
                f"`{name} declare` to declare a new one."
            )
        incident_id_var.set(incident.id)
        if sub in followup_commands.SUBCOMMANDS:
            return followup_commands.handle(ctx, incident, sub, rest, user_id)
        if sub == "page":
            return paging.page(ctx, incident, rest, user_id)
        return in_channel(ctx, client, command, incident, sub, rest, user_id)
    except IncidentError as error:
        return Reply(f":warning: {ctx.said(error)}")
