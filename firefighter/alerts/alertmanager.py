"""Prometheus Alertmanager's webhook (payload version 4): one notification group per request.

https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from firefighter.alerts.common import EndTimestamp, Payload, Timestamp, first, short
from firefighter.incidents.alerts import IncomingAlert, IncomingGroup

SOURCE = "alertmanager"
ZERO_YEAR = 1  # Alertmanager sends endsAt 0001-01-01T00:00:00Z for a firing alert


class AlertmanagerAlert(Payload):
    """One alert of the group."""

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: Timestamp
    endsAt: EndTimestamp | None = None
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1, max_length=255)


class AlertmanagerWebhook(Payload):
    """The notification: the group's key and labels, and its alerts."""

    version: str = "4"
    groupKey: str = Field(min_length=1)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    truncatedAlerts: int = 0
    alerts: list[AlertmanagerAlert] = Field(min_length=1, max_length=5000)


def to_alert(alert: AlertmanagerAlert) -> IncomingAlert:
    """The core's view of one Alertmanager (or Grafana) alert."""
    ended = alert.endsAt if alert.endsAt and alert.endsAt.year > ZERO_YEAR else None
    title = first(alert.annotations.get("summary"), alert.labels.get("alertname"))
    return IncomingAlert(
        fingerprint=alert.fingerprint,
        status=alert.status,
        title=short(title or alert.fingerprint),
        labels=dict(alert.labels),
        link=alert.generatorURL or None,
        started_at=alert.startsAt,
        ended_at=ended if alert.status == "resolved" else None,
        summary=first(alert.annotations.get("description"), alert.annotations.get("summary")),
    )


def parse(data: Any) -> list[IncomingGroup]:
    """Validate a webhook body; pydantic's ValidationError names what does not parse."""
    hook = AlertmanagerWebhook.model_validate(data)
    alerts = [to_alert(a) for a in hook.alerts]
    title = first(
        hook.commonAnnotations.get("summary"),
        hook.commonLabels.get("alertname"),
        hook.groupLabels.get("alertname"),
        alerts[0].title,
    )
    return [
        IncomingGroup(
            source=SOURCE,
            key=hook.groupKey,
            title=short(title),
            alerts=alerts,
            labels=dict(hook.commonLabels),
            link=alerts[0].link or hook.externalURL or None,
            summary=first(hook.commonAnnotations.get("description"), title),
        )
    ]
