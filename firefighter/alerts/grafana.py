"""Grafana unified alerting's webhook contact point: one notification group per request.

https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from firefighter.alerts.alertmanager import ZERO_YEAR
from firefighter.alerts.common import EndTimestamp, Payload, Timestamp, first, short
from firefighter.incidents.alerts import IncomingAlert, IncomingGroup

SOURCE = "grafana"
STATUS_PREFIX = re.compile(r"^\s*\[(?:FIRING|RESOLVED)(?::\d+)?\]", re.IGNORECASE)


class GrafanaAlert(Payload):
    """One alert instance of the group."""

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: Timestamp
    endsAt: EndTimestamp | None = None
    generatorURL: str = ""
    dashboardURL: str = ""
    panelURL: str = ""
    fingerprint: str = Field(min_length=1, max_length=255)


class GrafanaWebhook(Payload):
    """The notification: Alertmanager's shape plus Grafana's title, state and message."""

    receiver: str = ""
    status: Literal["firing", "resolved"]
    orgId: int | None = None
    groupKey: str = Field(min_length=1)
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    title: str = ""
    message: str = ""
    alerts: list[GrafanaAlert] = Field(min_length=1, max_length=5000)


def parse(data: Any) -> list[IncomingGroup]:
    """Validate a webhook body; pydantic's ValidationError names what does not parse."""
    hook = GrafanaWebhook.model_validate(data)
    alerts = []
    for alert in hook.alerts:
        ended = alert.endsAt if alert.endsAt and alert.endsAt.year > ZERO_YEAR else None
        title = first(alert.annotations.get("summary"), alert.labels.get("alertname"))
        alerts.append(
            IncomingAlert(
                fingerprint=alert.fingerprint,
                status=alert.status,
                title=short(title or alert.fingerprint),
                labels=dict(alert.labels),
                link=first(alert.generatorURL, alert.panelURL, alert.dashboardURL) or None,
                started_at=alert.startsAt,
                ended_at=ended if alert.status == "resolved" else None,
                summary=first(alert.annotations.get("description")),
            )
        )
    # The notification's own title names the group as its contact point was told to
    # (`[FIRING:2] HighCPU (payments)` by default); its status prefix is the card's to show.
    title = first(
        STATUS_PREFIX.sub("", hook.title).strip(),
        hook.commonAnnotations.get("summary"),
        hook.commonLabels.get("alertname"),
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
