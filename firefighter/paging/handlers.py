"""Outbox handlers: trigger, acknowledge and resolve a page at PagerDuty or Opsgenie.

Each is sent once: the page row records what went out. An acknowledge or resolve that finds
its trigger not yet sent does nothing: the trigger, once it goes out, sends what the incident
asks by then (so a vendor down for a while receives its events in order). A refusal
retrying cannot help (a bad routing key) is said once in the incident channel, naming the
setting to fix; a vendor that is busy or down is retried with the outbox's backoff.
"""

from __future__ import annotations

import logging
from typing import Any

from firefighter.incidents import paging_effects as effects
from firefighter.incidents.delivery_views import incident_summary
from firefighter.incidents.outcomes import Notice, PageCancelled, PageRefused, PageSent
from firefighter.incidents.paging import VENDOR_NAMES, PagingService
from firefighter.incidents.paging_models import (
    ACKNOWLEDGED,
    FAILED,
    RESOLVED,
    WANT_ACKNOWLEDGE,
    WANT_RESOLVE,
    WANT_TRIGGER,
)
from firefighter.incidents.paging_plan import PageView
from firefighter.outbox import Dispatcher, Message, RetryLater, progress
from firefighter.paging.config import PagingConfig
from firefighter.paging.vendors import Opsgenie, PagerDuty, VendorBusy, VendorRefused
from firefighter.settings import Settings

log = logging.getLogger(__name__)

PD_SEVERITY = ("critical", "error", "warning", "info")


class PagingEffects:
    """Delivers the paging effects to the page's vendor."""

    def __init__(
        self,
        settings: Settings,
        paging: PagingService,
        config: PagingConfig,
        pagerduty: PagerDuty,
        opsgenie: Opsgenie,
    ) -> None:
        self.settings = settings
        self.paging = paging
        self.config = config
        self.pagerduty = pagerduty
        self.opsgenie = opsgenie

    def register(self, dispatcher: Dispatcher) -> None:
        """Handle the vendor effects."""
        for action, handler in (
            (effects.TRIGGER, self.trigger),
            (effects.ACKNOWLEDGE, self.acknowledge),
            (effects.RESOLVE, self.resolve),
        ):
            for kind in effects.kinds_of(action):
                dispatcher.register(kind, handler)

    # ---- the three effects ----------------------------------------------------------

    def trigger(self, message: Message) -> list[object]:
        """Send the page, then whatever the incident asked meanwhile.

        What went out is reported even when a later send fails, so the retry sends only
        what is still owed.
        """
        page = self.paging.get(int(message.payload["page_id"]))
        if page.status == FAILED:
            return []
        if page.triggered_at is None and page.want == WANT_RESOLVE:
            # Closed while the vendor was unreachable: waking someone now helps nobody.
            return [PageCancelled(page.id)]
        with progress() as done:
            if page.triggered_at is None:
                done += self._send(page, WANT_TRIGGER)
                if not isinstance(done[0], PageSent):
                    return done
                # What the incident asks now (the trigger itself is recorded with the delivery).
                page = self.paging.get(page.id)
            self._catch_up(page, done)
        return done

    def acknowledge(self, message: Message) -> list[object]:
        """Mitigated: acknowledge the page, unless it is not out yet or the vendor already did."""
        page = self.paging.get(int(message.payload["page_id"]))
        with progress() as done:
            if page.triggered_at is not None:
                self._catch_up(page, done)
        return done

    resolve = acknowledge
    """Closed: resolve the page (the same catching up: it sends what is still owed)."""

    def _catch_up(self, page: PageView, done: list[object]) -> None:
        if page.status == FAILED:
            return
        unacknowledged = page.status not in (ACKNOWLEDGED, RESOLVED)
        if page.want == WANT_ACKNOWLEDGE and unacknowledged and page.ack_sent_at is None:
            done += self._send(page, WANT_ACKNOWLEDGE)
        if page.want == WANT_RESOLVE and page.status != RESOLVED and page.resolve_sent_at is None:
            done += self._send(page, WANT_RESOLVE)

    # ---- talking to the vendor ------------------------------------------------------

    def _send(self, page: PageView, action: str) -> list[object]:
        """Send `action`; what came of it (PageSent first when the vendor took it).

        Raises RetryLater when the vendor is busy.
        """
        try:
            url = (
                self._pagerduty(page, action)
                if page.vendor == "pagerduty"
                else self._opsgenie(page, action)
            )
        except VendorBusy as busy:
            raise RetryLater(str(busy), busy.delay, counts=busy.delay is None) from None
        except VendorRefused as refused:
            return self._refused(page, action, refused)
        return [PageSent(page.id, action, url)]

    def _refused(self, page: PageView, action: str, refused: VendorRefused) -> list[object]:
        vendor = VENDOR_NAMES.get(page.vendor, page.vendor)
        log.warning("%s refused %s of page %s: %s", vendor, action, page.id, refused)
        made: list[object] = []
        if action == WANT_TRIGGER:
            made.append(PageRefused(page.id, str(refused)))
        if page.vendor == "pagerduty":
            setting = f"`routing_key` of the service {page.service} in FIREFIGHTER_PAGING"
        else:
            spec = self.config.services.get(page.service)
            own_key = spec is not None and spec.opsgenie is not None and spec.opsgenie.api_key
            setting = (
                f"`api_key` of the service {page.service} in FIREFIGHTER_PAGING"
                if own_key
                else "OPSGENIE_API_KEY"
            )
            if refused.status == 422:
                setting = f"the service {page.service} in FIREFIGHTER_PAGING"
        verb = {WANT_TRIGGER: "page", WANT_ACKNOWLEDGE: "acknowledge", WANT_RESOLVE: "resolve"}[
            action
        ]
        made.append(
            Notice(
                page.incident_id,
                f":warning: {vendor} refused to {verb} the {page.service} on-call: "
                f"{str(refused)[:300]}. "
                f"An operator should check {setting}; until then, reach the on-call another way.",
                key=f"page-refused:{page.id}:{action}",
            )
        )
        return made

    def _facts(self, page: PageView) -> dict[str, Any]:
        incident = incident_summary(self.paging.factory, page.incident_id)
        names = self.settings.severity_names
        rank = names.index(incident.severity) if incident.severity in names else len(names)
        channel = incident.channel_id
        facts: dict[str, Any] = {
            "reference": incident.reference,
            # A private incident's title stays in Slack: the vendor is told where to look.
            "title": "private incident, details in its Slack channel"
            if incident.private
            else incident.title,
            "severity": incident.severity,
            "rank": rank,
            "component": incident.component,
            "channel": f"https://slack.com/app_redirect?channel={channel}" if channel else None,
            "channel_name": f"#{incident.channel_name or channel}" if channel else None,
        }
        base = (self.settings.base_url or "").rstrip("/")
        facts["console"] = f"{base}/incidents/{page.incident_id}" if base else None
        return facts

    def _pagerduty(self, page: PageView, action: str) -> str | None:
        spec = self.config.services[page.service].pagerduty
        assert spec is not None
        event: dict[str, Any] = {
            "routing_key": spec.routing_key,
            "event_action": action,
            "dedup_key": page.key,
        }
        if action == WANT_TRIGGER:
            facts = self._facts(page)
            links = []
            if facts["channel"]:
                links.append({"href": facts["channel"], "text": f"Slack {facts['channel_name']}"})
            if facts["console"]:
                links.append(
                    {"href": facts["console"], "text": f"FireFighter {facts['reference']}"}
                )
            event.update(
                payload={
                    "summary": f"[{facts['severity']}] {facts['reference']}: {facts['title']}"[
                        :1024
                    ],
                    "source": "firefighter",
                    "severity": PD_SEVERITY[min(facts["rank"], len(PD_SEVERITY) - 1)],
                    "class": "incident",
                    "custom_details": {
                        "incident": facts["reference"],
                        "severity": facts["severity"],
                        "slack_channel": facts["channel"],
                        "console": facts["console"],
                    },
                },
                links=links,
                client="FireFighter",
            )
            if facts["component"]:
                event["payload"]["component"] = facts["component"]
            if facts["console"]:
                event["client_url"] = facts["console"]
        self.pagerduty.send(event)
        return None

    def _opsgenie(self, page: PageView, action: str) -> str | None:
        spec = self.config.services[page.service].opsgenie
        assert spec is not None
        if action == WANT_TRIGGER:
            facts = self._facts(page)
            lines = [f"{facts['reference']} ({facts['severity']}): {facts['title']}"]
            if facts["channel"]:
                lines.append(f"Slack: {facts['channel']}")
            if facts["console"]:
                lines.append(f"FireFighter: {facts['console']}")
            self.opsgenie.create(
                {
                    "message": f"[{facts['severity']}] {facts['reference']}: {facts['title']}"[
                        :130
                    ],
                    "alias": page.key,
                    "description": "\n".join(lines)[:15000],
                    "responders": [{"name": spec.team, "type": "team"}],
                    "priority": f"P{min(facts['rank'] + 1, 5)}",
                    "source": "FireFighter",
                    "details": {
                        k: v
                        for k, v in {"slack": facts["channel"], "console": facts["console"]}.items()
                        if v
                    },
                },
                spec.api_key,
            )
            return None
        self.opsgenie.act(
            page.key, "acknowledge" if action == WANT_ACKNOWLEDGE else "close", spec.api_key
        )
        return None
