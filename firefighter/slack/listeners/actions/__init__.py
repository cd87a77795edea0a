"""Buttons and menus: the incident card's and announcement's, and the nudges'."""

from __future__ import annotations

from slack_bolt import App

from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.actions.alerts import register as register_alerts
from firefighter.slack.listeners.actions.followups import register as register_followups
from firefighter.slack.listeners.actions.home import register as register_home
from firefighter.slack.listeners.actions.incident import register as register_incident
from firefighter.slack.listeners.actions.paging import register as register_paging
from firefighter.slack.listeners.actions.reminders import register as register_reminders


def register(app: App, ctx: SlackContext) -> None:
    """Attach this surface's listeners to `app`."""
    register_incident(app, ctx)
    register_reminders(app, ctx)
    register_alerts(app, ctx)
    register_followups(app, ctx)
    register_home(app, ctx)
    register_paging(app, ctx)
