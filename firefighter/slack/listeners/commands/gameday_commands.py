"""`/incident gameday start NAME | stop [NAME] | list`: facilitators drive a Game Day."""

from __future__ import annotations

from firefighter.gameday.models import ENDED, LOADED, RUNNING
from firefighter.gameday.spec import from_stored
from firefighter.slack.context import SlackContext
from firefighter.slack.mrkdwn import escape
from firefighter.text import plural


def usage(command: str) -> str:
    """How to use the subcommand."""
    return (
        f"`{command} gameday start NAME` starts a Game Day loaded with `firefighter gameday "
        f"load FILE`; `{command} gameday stop` ends the running one; `{command} gameday list` "
        "shows them."
    )


def gameday_reply(ctx: SlackContext, rest: str, user_id: str) -> str:
    """Run one `gameday …` subcommand; IncidentError refusals are left to the caller."""
    word, _, name = rest.strip().partition(" ")
    name = name.strip()
    gamedays = ctx.gamedays
    command = ctx.settings.command
    if word.lower() == "start":
        if not name:
            return f"Say which Game Day to start: `{command} gameday start NAME`."
        started = gamedays.start(name, actor=user_id)
        spec = from_stored(started.spec)
        teams = ", ".join(f"*{escape(team)}*" for team in spec.teams)
        return (
            f":performing_arts: Game Day *{escape(started.name)}* started ({started.mode} mode): "
            f"{plural(len(spec.scenarios), 'scenario')} for {teams}. Drills open `drill-…` "
            f"channels and the scoreboard is in <#{started.channel_id}>."
        )
    if word.lower() == "stop":
        stopped = gamedays.stop(name or None, actor=user_id)
        return (
            f":checkered_flag: Game Day *{escape(stopped.name)}* is over. The final scores, "
            f"the truth of each scenario and the report follow in <#{stopped.channel_id}>."
        )
    if word.lower() in ("", "list"):
        shown = [g for g in gamedays.all() if g.status in (LOADED, RUNNING)][:10]
        shown += [g for g in gamedays.all() if g.status == ENDED][:5]
        if not shown:
            return "No Game Day is loaded. " + usage(command)
        lines = [f"• *{escape(g.name)}* ({g.mode}) — {g.status}" for g in shown]
        return "Game Days:\n" + "\n".join(lines)
    return f"I don't know `gameday {escape(word[:40])}`. " + usage(command)
