"""What goes into and comes out of alert intake: webhooks as the core sees them, the answer,
and a group as its triage card shows it. Plain data, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Action = Literal["declare", "triage", "ignore"]


@dataclass(frozen=True)
class Route:
    """What the rules file decided for a group: declare (with what), triage or ignore."""

    action: Action = "triage"
    severity: str | None = None
    component: str | None = None


@dataclass(frozen=True)
class IncomingAlert:
    """One alert as a webhook described it."""

    fingerprint: str
    status: Literal["firing", "resolved"]
    title: str
    labels: dict[str, str] = field(default_factory=dict)
    link: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    summary: str = ""


@dataclass(frozen=True)
class IncomingGroup:
    """Alerts a source notified together (one alert alone for most sources)."""

    source: str
    key: str
    title: str
    alerts: Sequence[IncomingAlert]
    labels: dict[str, str] = field(default_factory=dict)
    link: str | None = None
    summary: str = ""
    route: Route = Route()


@dataclass
class Intake:
    """What a webhook did, as the endpoint answers it."""

    alerts: int = 0
    new: int = 0
    deduplicated: int = 0
    incidents: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The stable answer: `{"alerts", "new", "deduplicated", "incidents"}`."""
        return {
            "alerts": self.alerts,
            "new": self.new,
            "deduplicated": self.deduplicated,
            "incidents": self.incidents,
        }


@dataclass(frozen=True)
class CardState:
    """A group as its triage card shows it, read in one go for the Slack handler."""

    group_id: int
    source: str
    title: str
    labels: dict[str, Any]
    link: str | None
    state: str
    round: int
    card_channel: str | None
    card_ts: str | None
    changes: int
    firing: int
    resolved: int
    count: int
    first_seen: datetime
    last_seen: datetime
    started_at: datetime
    incident_id: int | None
    incident_reference: str | None
    incident_channel: str | None
    decided_by: str | None
    dismiss_reason: str | None

    @property
    def description(self) -> str:
        """What a declared incident says about its alerts: labels and where they come from."""
        return describe(self.source, self.title, self.labels, self.link)


def describe(source: str, summary: str, labels: dict[str, Any], link: str | None) -> str:
    """An incident description from an alert: the summary, its labels, the link to it."""
    lines = [f"Declared from a {source} alert: {summary}"]
    if labels:
        lines.append("Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())))
    if link:
        lines.append(f"Source: {link}")
    return "\n".join(lines)
