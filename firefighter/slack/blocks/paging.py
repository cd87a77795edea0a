"""Paging as Slack shows it: the pages on the card, who is on call, the Home tab's line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from firefighter.incidents.paging_plan import OnCall, PageView
from firefighter.slack.mrkdwn import escape, slack_date, user

PAGE_ACTION = "page_oncall"
VENDORS = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie"}
STATUS_EMOJI = {
    "requested": ":hourglass_flowing_sand:",
    "triggered": ":pager:",
    "acknowledged": ":white_check_mark:",
    "escalated": ":arrow_double_up:",
    "resolved": ":heavy_check_mark:",
    "failed": ":x:",
}


def page_line(page: PageView) -> str:
    """One page on the card: service, vendor, state, who is paged now, and the times."""
    vendor = VENDORS.get(page.vendor, page.vendor)
    service = escape(page.service)
    if page.vendor_url:
        service = f"<{page.vendor_url}|{service}>"
    head = f"{STATUS_EMOJI.get(page.status, '')} *{service}* ({vendor}): "
    if page.status == "requested":
        state = "paging…"
    elif page.status == "failed":
        state = f"not paged: {escape((page.last_error or 'refused')[:200])}"
    elif page.status == "acknowledged":
        by = f" by {escape(page.acknowledged_by)}" if page.acknowledged_by else ""
        state = f"acknowledged{by}"
    else:
        state = page.status
    parts = [head + state]
    if page.paged_now and page.status in ("triggered", "escalated"):
        parts.append(f"paging {escape(page.paged_now)}")
    times = []
    if page.triggered_at:
        times.append(f"triggered {slack_date(page.triggered_at)}")
    if page.escalated_at:
        times.append(f"escalated {slack_date(page.escalated_at)}")
    if page.acknowledged_at:
        times.append(f"acknowledged {slack_date(page.acknowledged_at)}")
    if page.resolved_at:
        times.append(f"resolved {slack_date(page.resolved_at)}")
    if page.requested_by:
        times.append(f"asked by {user(page.requested_by)}")
    return " · ".join(parts + times)


def until_text(until: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """`until Tuesday 09:00` in the configured zone (with the date past a week)."""
    if until is None:
        return ""
    local = until.astimezone(zone)
    if until - now > timedelta(days=6):
        return f" until {local:%A %d %B %H:%M}"
    return f" until {local:%A %H:%M}"


def oncall_reply(
    answers: Sequence[tuple[str, list[OnCall] | str]], zone: ZoneInfo, now: datetime
) -> str:
    """`/incident oncall`: each service with its on-call people and until when."""
    lines = []
    for service, people in answers:
        if isinstance(people, str):
            lines.append(f"*{escape(service)}*: {escape(people)}")
        elif not people:
            lines.append(f"*{escape(service)}*: nobody on call right now")
        else:
            names = ", ".join(f"{escape(p.name)}{until_text(p.until, zone, now)}" for p in people)
            lines.append(f"*{escape(service)}*: {names}")
    return "\n".join(lines)


def home_oncall_line(mine: Sequence[OnCall], zone: ZoneInfo, now: datetime) -> str | None:
    """`You are on call for Payments until Tuesday 09:00.`, or None."""
    if not mine:
        return None
    parts = [f"{escape(o.service)}{until_text(o.until, zone, now)}" for o in mine]
    return ":pager: You are on call for " + "; ".join(parts) + "."
