"""Modal submissions: declare, close, reopen, and the update form."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.views import (
    alert_forms,
    conversation_forms,
    followup_forms,
    incident_forms,
    reminder_forms,
)


def register(app: App, ctx: SlackContext) -> None:
    """Attach this surface's listeners to `app`."""
    incident_forms.register(app, ctx)
    reminder_forms.register(app, ctx)
    alert_forms.register(app, ctx)
    followup_forms.register(app, ctx)
    conversation_forms.register(app, ctx)
