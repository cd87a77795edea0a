"""What the vendors tell us about pages: PagerDuty v3 webhooks and Opsgenie's webhook.

PagerDuty's arrive at the existing `/alerts/pagerduty` intake, which verifies their v3
signature; events about our own pages (their `incident_key` is a page's dedup_key) are
consumed here and never become alerts. Opsgenie's webhook integration posts to
`POST /paging/opsgenie` with the custom header `Authorization: Bearer
<FIREFIGHTER_ALERTS_TOKEN>`.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter

from firefighter.http_body import json_endpoint
from firefighter.incidents.paging import PagingService
from firefighter.incidents.paging_models import ACKNOWLEDGED, ESCALATED, RESOLVED
from firefighter.paging.vendors import Opsgenie, PagerDuty

log = logging.getLogger(__name__)

OPSGENIE_PATH = "/paging/opsgenie"
PD_STATES = {
    "incident.acknowledged": ACKNOWLEDGED,
    "incident.escalated": ESCALATED,
    "incident.resolved": RESOLVED,
}
# Opsgenie's alert actions as its webhook names them.
OG_STATES = {
    "Acknowledge": ACKNOWLEDGED,
    "Close": RESOLVED,
    "EscalateNext": ESCALATED,
    "EscalateToNext": ESCALATED,
    "Escalate": ESCALATED,
}
# The vendor tells who acknowledged; an invitation by e-mail must not hold the webhook long.
LOOKUP_TIMEOUT = 3.0


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def pagerduty_consumer(paging: PagingService, pagerduty: PagerDuty) -> Callable[[Any], bool]:
    """For the `/alerts/pagerduty` intake: True when a (verified) event is about one of our
    pages, which it then records; False leaves the event to the alert intake."""

    def consume(body: Any) -> bool:
        event = (body or {}).get("event") if isinstance(body, dict) else None
        if not isinstance(event, dict):
            return False
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        key = str((data or {}).get("incident_key") or "")
        if not key.startswith("firefighter-"):
            return False
        status = PD_STATES.get(str(event.get("event_type") or ""))
        agent = event.get("agent") if isinstance(event.get("agent"), dict) else None
        assignees = [
            str(a.get("summary") or "")
            for a in (data or {}).get("assignees") or []
            if isinstance(a, dict)
        ]
        paged_now = ", ".join(a for a in assignees if a) or None
        url = str((data or {}).get("html_url") or "") or None
        if status is None:  # triggered, annotated…: only who is paged now and the link
            return paging.vendor_event(key, "", paged_now=paged_now, vendor_url=url) or True
        who = str((agent or {}).get("summary") or "") or None
        email = None
        if status == ACKNOWLEDGED and agent and agent.get("id"):
            email = pagerduty.email_of(str(agent["id"]), timeout=LOOKUP_TIMEOUT)
        paging.vendor_event(
            key,
            status,
            at=_time(event.get("occurred_at")),
            who=who,
            email=email,
            paged_now=paged_now if status != RESOLVED else None,
            vendor_url=url,
        )
        return True

    return consume


def opsgenie_router(paging: PagingService, opsgenie: Opsgenie, token: str | None) -> APIRouter:
    """`POST /paging/opsgenie`: Opsgenie's webhook integration (Bearer token in a custom header)."""

    def handle(headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if not token:
            return 401, {
                "error": "Opsgenie intake is off on this server: "
                "FIREFIGHTER_ALERTS_TOKEN is not set"
            }
        scheme, _, given = str(headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return 401, {
                "error": "Authorization: send `Bearer <FIREFIGHTER_ALERTS_TOKEN>` as a "
                "custom header of the webhook integration"
            }
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "body: not JSON"}
        if not isinstance(data, dict) or not isinstance(data.get("alert"), dict):
            return 400, {"error": "alert: required (an Opsgenie webhook action)"}
        alert = data["alert"]
        action = str(data.get("action") or "")
        alias = str(alert.get("alias") or "")
        if not action:
            return 400, {"error": "action: required"}
        if not alias.startswith("firefighter-"):
            return 202, {"page": "not ours"}
        status = OG_STATES.get(action)
        if status is None:
            return 202, {"page": "ignored", "action": action[:40]}
        username = str(alert.get("username") or "")
        who = None
        if username and username != "System":
            who = opsgenie.full_name(username, timeout=LOOKUP_TIMEOUT)
        escalated = data.get("escalationNext")
        paged_now = None
        if status == ESCALATED and isinstance(escalated, dict) and escalated.get("name"):
            paged_now = opsgenie.full_name(str(escalated["name"]), timeout=LOOKUP_TIMEOUT)
        found = paging.vendor_event(
            alias,
            status,
            who=who,
            email=username if "@" in username else None,
            paged_now=paged_now,
        )
        return 202, {"page": status if found else "unknown"}

    router = APIRouter()
    router.add_api_route(
        OPSGENIE_PATH,
        json_endpoint(handle, too_large="body: over 1 MB"),
        methods=["POST"],
        include_in_schema=False,
    )
    return router
