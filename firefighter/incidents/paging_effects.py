"""The paging effects, typed: one per vendor and action, each naming its vendor as its target.

A vendor that is down holds back only its own lane; the incident's Slack effects never wait
for it. The vendor effects are enqueued without an incident on the outbox row as well: the
page row orders them (an acknowledge or resolve waits for its trigger to have gone out), and
a page for one service never waits behind another's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from firefighter.outbox.effect_types import PEOPLE, SLACK, Effect

PAGERDUTY = "pagerduty"
OPSGENIE = "opsgenie"

TRIGGER = "trigger"
ACKNOWLEDGE = "acknowledge"
RESOLVE = "resolve"
ACTIONS = (TRIGGER, ACKNOWLEDGE, RESOLVE)


@dataclass(frozen=True)
class PagePayload:
    """What every vendor effect carries."""

    incident_id: int
    page_id: int
    vendor: str  # "pagerduty" | "opsgenie"

    def as_dict(self) -> dict[str, Any]:
        """The outbox row's JSON."""
        return asdict(self)


# Waking the on-call person is what everyone in the incident waits for: people-facing class.
@dataclass(frozen=True)
class PagerDutyTrigger(
    PagePayload, Effect, kind="paging.pagerduty.trigger", target=PAGERDUTY, priority=PEOPLE
):
    """Trigger the page in PagerDuty (Events API v2)."""


@dataclass(frozen=True)
class PagerDutyAcknowledge(
    PagePayload, Effect, kind="paging.pagerduty.acknowledge", target=PAGERDUTY, priority=PEOPLE
):
    """Acknowledge the page in PagerDuty (the incident is mitigated)."""


@dataclass(frozen=True)
class PagerDutyResolve(
    PagePayload, Effect, kind="paging.pagerduty.resolve", target=PAGERDUTY, priority=PEOPLE
):
    """Resolve the page in PagerDuty (the incident is closed)."""


@dataclass(frozen=True)
class OpsgenieTrigger(
    PagePayload, Effect, kind="paging.opsgenie.trigger", target=OPSGENIE, priority=PEOPLE
):
    """Create the alert in Opsgenie (Alert API)."""


@dataclass(frozen=True)
class OpsgenieAcknowledge(
    PagePayload, Effect, kind="paging.opsgenie.acknowledge", target=OPSGENIE, priority=PEOPLE
):
    """Acknowledge the alert in Opsgenie (the incident is mitigated)."""


@dataclass(frozen=True)
class OpsgenieResolve(
    PagePayload, Effect, kind="paging.opsgenie.resolve", target=OPSGENIE, priority=PEOPLE
):
    """Close the alert in Opsgenie (the incident is closed)."""


VENDOR_EFFECTS: dict[tuple[str, str], type[PagePayload]] = {
    (PAGERDUTY, TRIGGER): PagerDutyTrigger,
    (PAGERDUTY, ACKNOWLEDGE): PagerDutyAcknowledge,
    (PAGERDUTY, RESOLVE): PagerDutyResolve,
    (OPSGENIE, TRIGGER): OpsgenieTrigger,
    (OPSGENIE, ACKNOWLEDGE): OpsgenieAcknowledge,
    (OPSGENIE, RESOLVE): OpsgenieResolve,
}


def vendor_effect(vendor: str, action: str, incident_id: int, page_id: int) -> Effect:
    """The typed effect that does `action` for a page at `vendor`."""
    effect = VENDOR_EFFECTS[(vendor, action)](incident_id, page_id, vendor)
    assert isinstance(effect, Effect)
    return effect


def kinds_of(action: str) -> list[str]:
    """The outbox kinds of `action`, one per vendor (for `dispatcher.register`)."""
    return [
        kind.kind  # type: ignore[attr-defined]
        for (_, act), kind in VENDOR_EFFECTS.items()
        if act == action
    ]


@dataclass(frozen=True)
class PageInvite(Effect, kind="paging.invite", target=SLACK, priority=PEOPLE):
    """Invite the person who acknowledged a page into the channel, found by e-mail."""

    incident_id: int
    email: str


PAGE_INVITE = PageInvite.kind
ALL = (*(kind for action in ACTIONS for kind in kinds_of(action)), PAGE_INVITE)
