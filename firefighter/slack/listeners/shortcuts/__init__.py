"""Message shortcuts: add a message to a timeline, declare an incident, add a follow-up."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.shortcuts import followup_shortcut, timeline_shortcut


def register(app: App, ctx: SlackContext) -> None:
    """Attach this surface's listeners to `app`."""
    timeline_shortcut.register(app, ctx)
    followup_shortcut.register(app, ctx)
