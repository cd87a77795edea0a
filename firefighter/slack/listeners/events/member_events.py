"""Events API: people joining an incident channel become its members."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from firefighter.outbox import idempotency
from firefighter.slack.context import SlackContext


def register(app: App, ctx: SlackContext) -> None:
    """Listen to channel membership events: joiners become members and see the card."""

    @app.event("member_joined_channel")
    def joined(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        ack()
        # Slack redelivers an event it thinks timed out (X-Slack-Retry-Num); the event id
        # is the same, so the second delivery is recognised and ignored.
        if not first_delivery(ctx, body):
            return
        incident = ctx.read.by_channel(str(event.get("channel") or ""))
        if incident is not None and event.get("user"):
            ctx.service.joined(incident.id, str(event["user"]))


def first_delivery(ctx: SlackContext, body: dict[str, Any]) -> bool:
    """True the first time an event id is seen."""
    event_id = body.get("event_id")
    if not event_id:
        return True
    return idempotency.remember(ctx.service.factory, f"event:{event_id}")
