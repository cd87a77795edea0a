"""Bolt listeners grouped by Slack surface, each package with a `register(app, ctx)`."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners import actions, commands, events, shortcuts, views


def register_all(app: App, ctx: SlackContext) -> None:
    """Attach every listener to `app`."""
    commands.register(app, ctx)
    actions.register(app, ctx)
    views.register(app, ctx)
    events.register(app, ctx)
    shortcuts.register(app, ctx)
