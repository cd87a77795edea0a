"""Who is on call: per service, from the vendors' REST APIs, remembered for a minute."""

from __future__ import annotations

import logging

from firefighter.incidents.paging_plan import OnCall
from firefighter.paging.config import PagingConfig
from firefighter.paging.vendors import Cache, Opsgenie, PagerDuty, VendorBusy, VendorRefused

log = logging.getLogger(__name__)


class OnCallDirectory:
    """`/incident oncall` and App Home ask here; each service's answer is cached 60 s."""

    def __init__(
        self,
        config: PagingConfig,
        pagerduty: PagerDuty,
        opsgenie: Opsgenie,
        cache: Cache | None = None,
    ) -> None:
        self.config = config
        self.pagerduty = pagerduty
        self.opsgenie = opsgenie
        self.cache = cache or Cache(60.0)

    def services_for(self, component: str | None) -> list[str]:
        """The component's service, or every service when no component is named."""
        if component:
            found = self.config.plan.service_for(component)
            return [found] if found else []
        return list(self.config.services)

    def who(self, service: str) -> list[OnCall] | str:
        """The people on call for `service` now, or a sentence saying why they are unknown."""
        try:
            result: list[OnCall] | str = self.cache.get(service, lambda: self._read(service))
        except (VendorBusy, VendorRefused) as error:
            log.warning("on-call of %s unknown: %s", service, error)
            return f"unknown right now ({error})"
        return result

    def _read(self, service: str) -> list[OnCall] | str:
        spec = self.config.services[service]
        if spec.pagerduty is not None:
            if not spec.pagerduty.escalation_policy:
                return "no escalation_policy in FIREFIGHTER_PAGING to read it from"
            entries = self.pagerduty.oncalls(spec.pagerduty.escalation_policy)
        else:
            assert spec.opsgenie is not None
            if not spec.opsgenie.schedule:
                return "no schedule in FIREFIGHTER_PAGING to read it from"
            entries = self.opsgenie.oncall(spec.opsgenie.schedule, spec.opsgenie.api_key)
        return [OnCall(service, e.name, e.email, e.until) for e in entries]

    def mine(self, email: str | None) -> list[OnCall]:
        """The services `email` is on call for now."""
        if not email:
            return []
        found = []
        for service in self.config.services:
            people = self.who(service)
            if isinstance(people, list):
                found += [p for p in people if (p.email or "").lower() == email.lower()]
        return found
