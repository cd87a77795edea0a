"""Events API: what happens in the channels the bot is in, and on its Home tab."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.events import home_tab, member_events, reaction_events


def register(app: App, ctx: SlackContext) -> None:
    """Attach this surface's listeners to `app`."""
    member_events.register(app, ctx)
    reaction_events.register(app, ctx)
    home_tab.register(app, ctx)
