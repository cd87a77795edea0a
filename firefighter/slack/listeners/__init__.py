"""Bolt listeners grouped by Slack surface, each module with a `register(app, ctx)`."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners import actions as actions
from firefighter.slack.listeners import commands as commands
from firefighter.slack.listeners import events as events
from firefighter.slack.listeners import reminders as reminders
from firefighter.slack.listeners import views as views


def register_all(app: App, ctx: SlackContext) -> None:
    """Attach every listener to `app`."""
    commands.register(app, ctx)
    actions.register(app, ctx)
    views.register(app, ctx)
    events.register(app, ctx)
    reminders.register(app, ctx)
