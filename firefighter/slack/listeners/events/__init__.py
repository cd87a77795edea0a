"""Events API: what happens in the channels the bot is in."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.events.members import register as register_members


def register(app: App, ctx: SlackContext) -> None:
    """Attach this surface's listeners to `app`."""
    register_members(app, ctx)
