"""The paging effects, in one place: kind names and their frozen payloads.

Each names its target system, so that a dispatcher ordering effects per target can keep a
vendor that is down from delaying Slack. Until then they are enqueued without an incident on
the outbox row (as notices are), and the page row orders them: an acknowledge or resolve
waits for its trigger to have gone out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PAGE_TRIGGER = "paging.trigger"
"""Trigger the page at its vendor. Target: "pagerduty" or "opsgenie" (the page's vendor)."""

PAGE_ACKNOWLEDGE = "paging.acknowledge"
"""Acknowledge the page at its vendor (the incident is mitigated). Target: the page's vendor."""

PAGE_RESOLVE = "paging.resolve"
"""Resolve / close the page at its vendor (the incident is closed). Target: the page's vendor."""

PAGE_INVITE = "paging.invite"
"""Invite the person who acknowledged a page into the channel, found by e-mail. Target: "slack"."""

VENDOR_EFFECTS = (PAGE_TRIGGER, PAGE_ACKNOWLEDGE, PAGE_RESOLVE)
ALL = (*VENDOR_EFFECTS, PAGE_INVITE)


@dataclass(frozen=True)
class PagePayload:
    """Payload of PAGE_TRIGGER, PAGE_ACKNOWLEDGE and PAGE_RESOLVE; target: `vendor`."""

    incident_id: int
    page_id: int
    vendor: str  # "pagerduty" | "opsgenie"

    def as_dict(self) -> dict[str, Any]:
        """The outbox row's JSON."""
        return asdict(self)


@dataclass(frozen=True)
class InvitePayload:
    """Payload of PAGE_INVITE; target: "slack"."""

    incident_id: int
    email: str

    def as_dict(self) -> dict[str, Any]:
        """The outbox row's JSON."""
        return asdict(self)
