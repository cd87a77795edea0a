"""Who is on call: per service, from the vendors' REST APIs, remembered for a minute.

`/incident oncall` answers inside Slack's 3 s: services are read in parallel, each call
limited to READ_TIMEOUT; a vendor too slow is named as unknown for now.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from firefighter.incidents.paging_plan import OnCall
from firefighter.paging.config import PagingConfig
from firefighter.paging.vendors import Cache, Opsgenie, PagerDuty, VendorBusy, VendorRefused

log = logging.getLogger(__name__)

READ_TIMEOUT = 2.0


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
            entries = self.pagerduty.oncalls(spec.pagerduty.escalation_policy, READ_TIMEOUT)
        else:
            assert spec.opsgenie is not None
            if not spec.opsgenie.schedule:
                return "no schedule in FIREFIGHTER_PAGING to read it from"
            entries = self.opsgenie.oncall(
                spec.opsgenie.schedule, spec.opsgenie.api_key, READ_TIMEOUT
            )
        return [OnCall(service, e.name, e.email, e.until) for e in entries]

    def who_all(self, services: list[str]) -> list[tuple[str, list[OnCall] | str]]:
        """`who` for each service, read in parallel."""
        if len(services) <= 1:
            return [(s, self.who(s)) for s in services]
        with ThreadPoolExecutor(max_workers=min(len(services), 8)) as pool:
            return list(zip(services, pool.map(self.who, services), strict=True))

    def mine(self, email: str | None) -> list[OnCall]:
        """The services `email` is on call for now."""
        if not email:
            return []
        found = []
        for _service, people in self.who_all(list(self.config.services)):
            if isinstance(people, list):
                found += [p for p in people if (p.email or "").lower() == email.lower()]
        return found
