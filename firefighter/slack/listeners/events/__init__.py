"""Events API: what happens in the channels the bot is in, and on its Home tab."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.events.home import register as register_home
from firefighter.slack.listeners.events.members import register as register_members
from firefighter.slack.listeners.events.reactions import register as register_reactions


def register(app: App, ctx: SlackContext) -> None:
    """Attach this surface's listeners to `app`."""
    register_members(app, ctx)
    register_reactions(app, ctx)
    register_home(app, ctx)
