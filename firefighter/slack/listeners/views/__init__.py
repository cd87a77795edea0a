"""Modal submissions: declare, close, reopen, and the update form."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.views.alerts import register as register_alerts
from firefighter.slack.listeners.views.conversation import register as register_conversation
from firefighter.slack.listeners.views.followups import register as register_followups
from firefighter.slack.listeners.views.incident import register as register_incident
from firefighter.slack.listeners.views.reminders import register as register_reminders


def register(app: App, ctx: SlackContext) -> None:
    """Attach this surface's listeners to `app`."""
    register_incident(app, ctx)
    register_reminders(app, ctx)
    register_alerts(app, ctx)
    register_followups(app, ctx)
    register_conversation(app, ctx)
