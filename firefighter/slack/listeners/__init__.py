"""Bolt listeners grouped by Slack surface, each package with a `register(app, ctx)`."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.actions import register as register_actions
from firefighter.slack.listeners.commands import register as register_commands
from firefighter.slack.listeners.events import register as register_events
from firefighter.slack.listeners.shortcuts import register as register_shortcuts
from firefighter.slack.listeners.views import register as register_views


def register_all(app: App, ctx: SlackContext) -> None:
    """Attach every listener to `app`."""
    register_commands(app, ctx)
    register_actions(app, ctx)
    register_views(app, ctx)
    register_events(app, ctx)
    register_shortcuts(app, ctx)
