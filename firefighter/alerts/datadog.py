"""Datadog's webhook integration: the default payload as it comes, or with the alert's ids.

Datadog's default payload (`body`, `last_updated`, `event_type`, `title`, `date`, `org`, `id`)
names no alert: `id` is the event's, new at every notification. When the payload adds
`$AGGREG_KEY` (`aggreg_key`) or `$ALERT_ID` (`alert_id`), that is the alert's identity, as
before. Otherwise the identity is the event title without its transition
(`[Triggered on {host:web-1}] CPU high` and `[Recovered on {host:web-1}] CPU high` are one
alert: "CPU high" on `host:web-1`), so a recovery resolves what the trigger opened. The
transition comes from `$ALERT_TRANSITION` when sent, else from the title.
https://docs.datadoghq.com/integrations/webhooks/
"""

from __future__ import annotations

import hashlib
import re
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

    alert_scope: str = ""

    @model_validator(mode="after")
    def _identified(self) -> DatadogWebhook:
        if not (self.aggreg_key or self.alert_id or headline(self.title)[1]):
            raise ValueError(
                "title: names no alert; send Datadog's payload with its title "
                '("title": "$EVENT_TITLE"), or "aggreg_key": "$AGGREG_KEY"'
            )
        return self


# `[P2] [Triggered on {host:web-1,env:prod}] ` in front of an event title: priority,
# transition and scope, each optional.
_PREFIX = re.compile(r"^\s*\[(?P<inside>[^\]]*)\]\s*")
_TRANSITION = re.compile(r"^(?P<word>[A-Za-z][A-Za-z -]*?)(?:\s+on\s+\{(?P<scope>[^}]*)\})?$")


def headline(title: str) -> tuple[str, str, str]:
    """(transition, the title without its brackets, scope) of a Datadog event title."""
    transition = scope = ""
    rest = title
    while match := _PREFIX.match(rest):
        inside = match.group("inside").strip()
        found = _TRANSITION.match(inside)
        if found is not None and not re.fullmatch(r"P[1-5]", inside):
            transition = transition or found.group("word").strip()
            scope = scope or (found.group("scope") or "").strip()
        rest = rest[match.end() :]
    return transition, " ".join(rest.split()), scope


def identity(hook: DatadogWebhook, title: str, scope: str) -> str:
    """The alert's fingerprint: its aggregation key or monitor id, else title and scope."""
    if hook.aggreg_key or hook.alert_id:
        return hook.aggreg_key or hook.alert_id
    digest = hashlib.sha256(f"{title}\n{scope}".encode()).hexdigest()[:20]
    return f"title-{digest}"


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
    said, bare_title, said_scope = headline(hook.title)
    scope = first(hook.alert_scope, said_scope)
    fingerprint = identity(hook, bare_title, scope)
    transition = first(hook.alert_transition, hook.alert_status, said).lower()
    resolved = transition in RECOVERED
    labels = labels_of(hook.tags)
    for name, value in (("priority", hook.alert_priority), ("monitor", hook.alert_id)):
        if value:
            labels.setdefault(name, value)
    for key, value in labels_of(scope).items():
        labels.setdefault(key, value)
    title = short(bare_title + (f" on {scope}" if scope and scope not in bare_title else ""))
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
