"""Slack's failures in the outbox's words: retry later (and when), or give up."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk.errors import SlackApiError

from firefighter.outbox import PermanentFailure, RetryLater
from firefighter.slack.pacing import Paced

TRANSIENT = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
}


@contextmanager
def slack_errors(what: str) -> Iterator[None]:
    """Turn Slack failures into the outbox's retry or dead-letter decisions."""
    try:
        yield
    except Paced as error:
        # Our own pacing to Slack's tiers: a wait, not a failed attempt.
        raise RetryLater(str(error), error.delay, counts=False) from None
    except SlackApiError as error:
        code = str(error.response.get("error", "")) if error.response is not None else ""
        status = error.response.status_code if error.response is not None else 0
        if code in TRANSIENT or status >= 500 or status == 429:
            retry_after = error.response.headers.get("Retry-After") if error.response else None
            delay = float(retry_after) if retry_after else None
            # A rate limit is Slack asking us to wait, not a failed attempt.
            limited = status == 429 or code == "ratelimited"
            raise RetryLater(
                f"{what}: Slack answered {code or status}", delay, counts=not limited
            ) from None
        raise PermanentFailure(f"{what}: Slack refused with {code or status}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise RetryLater(f"{what}: cannot reach Slack ({error})") from None
