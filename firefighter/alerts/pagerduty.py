"""PagerDuty's v3 webhooks: `incident.triggered` fires an alert, `incident.resolved` ends it.

Other event types (acknowledged, annotated, the subscription's ping…) are accepted and
change nothing. https://developer.pagerduty.com/docs/webhooks-overview
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from firefighter.alerts.common import Payload, Timestamp, first, short
from firefighter.incidents.alerts import IncomingAlert, IncomingGroup

SOURCE = "pagerduty"
HANDLED = {"incident.triggered": "firing", "incident.resolved": "resolved"}


class Reference(Payload):
    """A service, priority or other object PagerDuty refers to by summary."""

    id: str = ""
    summary: str = ""
    html_url: str = ""


class PagerDutyIncident(Payload):
    """The incident an event is about."""

    id: str = Field(min_length=1, max_length=255)
    title: str = ""
    html_url: str = ""
    number: int | None = None
    status: str = ""
    urgency: str = ""
    created_at: Timestamp | None = None
    service: Reference | None = None
    priority: Reference | None = None


class PagerDutyEvent(Payload):
    """The event: its type, when, and its data (an incident for the types we handle)."""

    id: str = ""
    event_type: str = Field(min_length=1)
    resource_type: str = ""
    occurred_at: Timestamp | None = None
    data: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _incident(self) -> PagerDutyEvent:
        if self.event_type in HANDLED:
            PagerDutyIncident.model_validate(self.data or {})
        return self


class PagerDutyWebhook(Payload):
    """The envelope PagerDuty posts."""

    event: PagerDutyEvent


def parse(data: Any) -> list[IncomingGroup]:
    """Validate a webhook body; pydantic's ValidationError names what does not parse."""
    event = PagerDutyWebhook.model_validate(data).event
    status = HANDLED.get(event.event_type)
    if status is None:
        return []
    try:
        incident = PagerDutyIncident.model_validate(event.data or {})
    except Exception:  # already validated by PagerDutyEvent
        return []
    labels = {"urgency": incident.urgency} if incident.urgency else {}
    if incident.service and incident.service.summary:
        labels["service"] = incident.service.summary
    if incident.priority and incident.priority.summary:
        labels["priority"] = incident.priority.summary
    title = short(first(incident.title, f"PagerDuty incident {incident.id}"))
    alert = IncomingAlert(
        fingerprint=incident.id,
        status="firing" if status == "firing" else "resolved",
        title=title,
        labels=labels,
        link=incident.html_url or None,
        started_at=incident.created_at or event.occurred_at,
        ended_at=event.occurred_at if status == "resolved" else None,
    )
    return [
        IncomingGroup(
            source=SOURCE,
            key=incident.id,
            title=title,
            alerts=[alert],
            labels=labels,
            link=alert.link,
            summary=title,
        )
    ]
