"""A small JSON for any other tool: one alert, or several sharing one triage card.

    {"dedup_key": "db-1-disk", "title": "Disk 95% full on db-1", "status": "firing",
     "labels": {"severity": "critical"}, "link": "https://…", "started_at": "2026-…Z"}

or `{"group_key": "db", "title": "Database", "alerts": [<alert>, …]}`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from firefighter.alerts.common import Payload, Timestamp, first, short
from firefighter.incidents.alerts import IncomingAlert, IncomingGroup

SOURCE = "generic"
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class GenericAlert(Payload):
    """One alert: what identifies it, what it says, and whether it still fires."""

    dedup_key: Key
    title: str = Field(min_length=1, max_length=500)
    status: Literal["firing", "resolved"] = "firing"
    summary: str = Field("", max_length=5000)
    labels: dict[str, str] = Field(default_factory=dict)
    link: str = Field("", max_length=1000)
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None


class GenericWebhook(Payload):
    """Alerts that share a card (`group_key`); a lone alert is its own group."""

    group_key: Key | None = None
    title: str = ""
    alerts: list[GenericAlert] = Field(min_length=1, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _single(cls, value: Any) -> Any:
        if isinstance(value, dict) and "alerts" not in value:
            return {"alerts": [value]}
        return value


def parse(data: Any) -> list[IncomingGroup]:
    """Validate a webhook body; pydantic's ValidationError names what does not parse."""
    hook = GenericWebhook.model_validate(data)
    alerts = [
        IncomingAlert(
            fingerprint=a.dedup_key,
            status=a.status,
            title=short(a.title),
            labels=dict(a.labels),
            link=a.link or None,
            started_at=a.started_at,
            ended_at=a.ended_at,
            summary=a.summary,
        )
        for a in hook.alerts
    ]
    key = hook.group_key or hook.alerts[0].dedup_key
    if hook.group_key is None and len(alerts) > 1:
        # Without a group key each alert gets its own card.
        return [
            IncomingGroup(
                source=SOURCE,
                key=a.fingerprint,
                title=a.title,
                alerts=[a],
                labels=a.labels,
                link=a.link,
                summary=a.summary or a.title,
            )
            for a in alerts
        ]
    common = (
        dict(alerts[0].labels)
        if len(alerts) == 1
        else {
            k: v for k, v in alerts[0].labels.items() if all(a.labels.get(k) == v for a in alerts)
        }
    )
    title = short(first(hook.title, alerts[0].title))
    return [
        IncomingGroup(
            source=SOURCE,
            key=key,
            title=title,
            alerts=alerts,
            labels=common,
            link=alerts[0].link,
            summary=first(alerts[0].summary, title),
        )
    ]
