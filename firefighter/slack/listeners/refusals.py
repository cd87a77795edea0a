"""Sentences for what people sent that FireFighter cannot use, never an exception's text.

Buttons and forms carry ids FireFighter wrote; a value that is not one (a forged or foreign
payload) is refused with a sentence saying what to use instead. A form Slack would not open is
explained by Slack's own reason: an expired trigger is not a slow Slack.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

FOREIGN_FORM = "This form is not one FireFighter opened; use the buttons on the incident's card."
FOREIGN_BUTTON = "That button is not one FireFighter drew."
PICK_LISTED = "Pick one of the listed incidents."

# Declared incidents are recent: a start before 2000 or more than a day ahead is a typo.
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
START_AHEAD = timedelta(days=1)

_ID = re.compile(r"\d{1,12}")


def record_id(value: Any) -> int:
    """A database id FireFighter wrote into a button or form; ValueError for anything else
    (text, a sign, or a number too large for the database)."""
    text = str(value if value is not None else "").strip()
    if not _ID.fullmatch(text):
        raise ValueError("not an id FireFighter wrote")
    return int(text)


def form_not_opened(error: BaseException, again: str) -> str:
    """Why Slack did not open a form, and what to do: `again` is how to retry."""
    if not isinstance(error, SlackApiError):  # no answer within the limit, or no connection
        return f"Slack did not open the form in time; {again}."
    reason = str(error.response.get("error") or "") if error.response is not None else ""
    if reason in ("expired_trigger_id", "invalid_trigger_id", "trigger_exchanged"):
        return f"That click is too old for Slack to open a form (it allows 3 seconds); {again}."
    if reason in ("ratelimited", "request_timeout", "service_unavailable", "fatal_error"):
        return f"Slack is busy and did not open the form; {again} in a moment."
    return f"Slack would not open the form; {again}."


def start_time(value: Any, now: datetime) -> datetime | None:
    """The impact start a declare form picked (epoch seconds), or ValueError with the
    sentence to show under the field; None when the field was left empty."""
    if value is None or value == "":
        return None
    try:
        at = datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ValueError("Pick a date and a time.") from None
    if at < EARLIEST_START or at > now + START_AHEAD:
        raise ValueError("Pick when the impact started: after 2000, and not in the future.")
    return at
