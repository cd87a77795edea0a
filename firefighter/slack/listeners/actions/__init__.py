"""Buttons and menus: the incident card's and announcement's, and the nudges'."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.actions import (
    alert_buttons,
    followup_buttons,
    home_buttons,
    incident_buttons,
    paging_buttons,
    reminder_buttons,
)


def register(app: App, ctx: SlackContext) -> None:
    """Attach this surface's listeners to `app`."""
    incident_buttons.register(app, ctx)
    reminder_buttons.register(app, ctx)
    alert_buttons.register(app, ctx)
    followup_buttons.register(app, ctx)
    home_buttons.register(app, ctx)
    paging_buttons.register(app, ctx)
