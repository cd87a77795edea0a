"""Datadog's webhook integration: the default payload plus the alert's ids and transition.

The default payload (`body`, `title`, `date`, `id`, `event_type`, `last_updated`, `org`)
names no alert, so the payload FireFighter documents adds `$AGGREG_KEY` (the monitor's
aggregation key, our fingerprint), `$ALERT_ID`, `$ALERT_TRANSITION`, `$LINK` and `$TAGS`.
https://docs.datadoghq.com/integrations/webhooks/
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from firefighter.alerts.common import Payload, Timestamp, first, short
from firefighter.incidents.alerts import IncomingAlert, IncomingGroup

SOURCE = "datadog"
RECOVERED = frozenset({"recovered", "resolved", "ok"})


class DatadogWebhook(Payload):
    """One monitor notification."""

    title: str = Field(min_length=1)
    body: str = ""
    id: str = ""
    event_type: str = ""
    date: Timestamp | None = None
    last_updated: Timestamp | None = None
    aggreg_key: str = ""
    alert_id: str = ""
    alert_transition: str = ""
    alert_status: str = ""
    alert_priority: str = ""
    link: str = ""
    tags: str = ""

    @field_validator("date", "last_updated", mode="before")
    @classmethod
    def _epoch(cls, value: Any) -> Any:
        # $DATE and $LAST_UPDATED are epoch milliseconds, as text; unexpanded ones are absent.
        try:
            if isinstance(value, str) and value.strip().isdigit():
                return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("a time between 1970 and 2100 is expected") from None
        if value in ("", None) or (isinstance(value, str) and value.startswith("$")):
            return None
        return value

    @field_validator("id", "aggreg_key", "alert_id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _identified(self) -> DatadogWebhook:
        if not (self.aggreg_key or self.alert_id):
            raise ValueError(
                'aggreg_key: required; add "aggreg_key": "$AGGREG_KEY" to the webhook payload'
            )
        return self


def labels_of(tags: str) -> dict[str, str]:
    """`env:prod,service:api` as labels; a tag without a value maps to an empty string."""
    labels: dict[str, str] = {}
    for tag in tags.split(","):
        key, _, value = tag.strip().partition(":")
        if key:
            labels[key] = value
    return labels


def parse(data: Any) -> list[IncomingGroup]:
    """Validate a webhook body; pydantic's ValidationError names what does not parse."""
    hook = DatadogWebhook.model_validate(data)
    fingerprint = hook.aggreg_key or hook.alert_id
    transition = first(hook.alert_transition, hook.alert_status).lower()
    resolved = transition in RECOVERED
    labels = labels_of(hook.tags)
    for name, value in (("priority", hook.alert_priority), ("monitor", hook.alert_id)):
        if value:
            labels.setdefault(name, value)
    title = short(hook.title.removeprefix("[Recovered] ").removeprefix("[Triggered] "))
    alert = IncomingAlert(
        fingerprint=fingerprint,
        status="resolved" if resolved else "firing",
        title=title,
        labels=labels,
        link=hook.link or None,
        started_at=hook.date,
        ended_at=(hook.last_updated or hook.date) if resolved else None,
        summary=short(hook.body, 2000),
    )
    return [
        IncomingGroup(
            source=SOURCE,
            key=fingerprint,
            title=title,
            alerts=[alert],
            labels=labels,
            link=alert.link,
            summary=alert.summary or title,
        )
    ]
