"""Message shortcuts: add a message to a timeline, declare an incident, add a follow-up."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.shortcuts.followups import register as register_followups
from firefighter.slack.listeners.shortcuts.timeline import register as register_timeline


def register(app: App, ctx: SlackContext) -> None:
    """Attach this surface's listeners to `app`."""
    register_timeline(app, ctx)
    register_followups(app, ctx)
