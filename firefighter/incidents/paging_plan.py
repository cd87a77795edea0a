"""When to page whom: services per component and rules by severity and component.

Plain data the paging adapter loads from FIREFIGHTER_PAGING; the core decides with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

AUTOMATIC = "automatic"
"""Page at declaration (and when the severity is raised to this level)."""
OFFER = "offer"
"""Offer a Page on-call button; the declare modal's checkbox starts unticked."""
NEVER = "never"
"""No page and no button."""

WHO_ANYONE = "anyone"
WHO_CHANNEL = "channel"
WHO_RESPONDERS = "responders"


@dataclass(frozen=True)
class PagingRule:
    """A rule: which severities and components it is for (empty: all) and what to do."""

    mode: str
    severities: tuple[str, ...] = ()
    components: tuple[str, ...] = ()

    def matches(self, severity: str, component: str | None) -> bool:
        """Whether an incident of `severity` on `component` falls under this rule."""
        if self.severities and severity.upper() not in self.severities:
            return False
        return not self.components or (component or "") in self.components


DEFAULT_RULES = (PagingRule(AUTOMATIC, ("SEV1", "SEV2")), PagingRule(OFFER))


@dataclass(frozen=True)
class PagingPlan:
    """Services (name → vendor), the service of each component, the rules and who may page."""

    services: dict[str, str] = field(default_factory=dict)
    components: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    rules: tuple[PagingRule, ...] = DEFAULT_RULES
    who_may_page: str = WHO_CHANNEL

    @property
    def enabled(self) -> bool:
        """Whether any service is configured."""
        return bool(self.services)

    def service_for(self, component: str | None) -> str | None:
        """The service that pages for `component` (the default one when it has none)."""
        return self.components.get(component or "", self.default)

    def mode(self, severity: str, component: str | None) -> str:
        """What the first matching rule says; no rule matching means never."""
        for rule in self.rules:
            if rule.matches(severity, component):
                return rule.mode
        return NEVER

    def find(self, name: str) -> str | None:
        """The configured service called `name` (case-insensitive), or None."""
        wanted = name.strip().lower()
        return next((s for s in self.services if s.lower() == wanted), None)


@dataclass(frozen=True)
class OnCall:
    """Someone on call for a service now, and until when (None: no end known)."""

    service: str
    name: str
    email: str | None
    until: datetime | None


@dataclass(frozen=True)
class PageView:
    """A page as the card and the commands show it."""

    id: int
    incident_id: int
    service: str
    vendor: str
    key: str
    status: str
    requested_by: str | None
    requested_at: datetime
    triggered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    escalated_at: datetime | None
    resolved_at: datetime | None
    paged_now: str | None
    vendor_url: str | None
    want: str
    ack_sent_at: datetime | None
    resolve_sent_at: datetime | None
    last_error: str | None = None


def may_page(
    actor: str | None, *, who: str, members: set[str], holders: set[str], admin: bool
) -> bool:
    """Who may page: anyone in the channel by default (as the vendors let anyone with the
    integration key page), or anyone at all, or only the role holders (and admins).

    The bot itself (actor None: a rule at declaration, a severity raised) always may.
    """
    if actor is None or admin or who == WHO_ANYONE:
        return True
    if who == WHO_RESPONDERS:
        return actor in holders
    return actor in members or actor in holders


class OnCallReader(Protocol):
    """Who is on call (the paging adapter reads the vendors; Slack shows the answer)."""

    def services_for(self, component: str | None) -> list[str]:
        """The component's service, or every service when no component is named."""

    def who(self, service: str) -> list[OnCall] | str:
        """The people on call for `service` now, or why they are unknown."""

    def who_all(self, services: list[str]) -> list[tuple[str, list[OnCall] | str]]:
        """`who` for each service (read in parallel)."""

    def mine(self, email: str | None) -> list[OnCall]:
        """The services `email` is on call for now."""
