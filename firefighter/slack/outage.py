"""What a person is told when the database or Slack does not answer in time.

Slack gives an app 3 s to answer a request. A stalled database (a partition: connections
open, nothing answers) blocks a thread in a socket read that no setting interrupts, so every
request runs under a deadline (`REQUEST_SECONDS`), and work done after the answer (a click's
lazy listener) under its own (`WORK_SECONDS`). Work given up on can no longer commit
(`db.within`), so "nothing was changed" stays true. Calls to Slack made while answering use
a client with a short limit and no retries (`slack.client.request_client`).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter.db import TimedOut, unavailable, within

log = logging.getLogger(__name__)

OUTAGE = (
    "The incident database is unavailable right now; nothing was changed. Try again in a minute."
)
REQUEST_SECONDS = 2.5
"""How long a request from Slack may take before it is answered with OUTAGE (Slack: 3 s)."""
WORK_SECONDS = 2.0
"""How long a click's work may wait for the database before the person is told OUTAGE."""

SLACK_FAILED = (SlackApiError, OSError)
"""What a Web API call raises when Slack refuses, or does not answer within the limit."""


def slack_error(error: BaseException) -> str:
    """Slack's error code, or what went wrong reaching it, for the log."""
    if isinstance(error, SlackApiError) and error.response is not None:
        return str(error.response.get("error"))
    return f"no answer ({error.__class__.__name__})"


def guarded(lazy: Callable[..., None]) -> Callable[..., None]:
    """A click's lazy listener that tells the clicker OUTAGE when the database is away.

    Bolt reads the arguments a listener wants from its signature (unwrapping this wrapper),
    then calls it by keyword; `respond` answers through the click's response_url.
    """

    @functools.wraps(lazy)
    def run(**kwargs: Any) -> None:
        try:
            within(WORK_SECONDS, lambda: lazy(**kwargs))
        except Exception as error:
            if not unavailable(error):
                raise
            log.warning("a click could not be handled: %s", error)
            respond = kwargs.get("respond")
            if respond is not None:
                try:
                    respond(text=OUTAGE, response_type="ephemeral", replace_original=False)
                except Exception:  # an expired response_url: nothing else to answer with
                    log.warning("could not tell the clicker about the outage")

    return run


def tell_in_event(client: WebClient, body: dict[str, Any]) -> None:
    """Tell the person behind an event OUTAGE, ephemerally in its channel, if it has both."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    assert isinstance(event, dict)
    item = event.get("item") if isinstance(event.get("item"), dict) else {}
    assert isinstance(item, dict)
    user = event.get("user")
    channel = item.get("channel") or event.get("channel")
    if not isinstance(user, str) or not isinstance(channel, str) or not user or not channel:
        return
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=OUTAGE)
    except SLACK_FAILED as error:
        log.warning("could not tell %s about the outage: %s", user, slack_error(error))


def view_errors(body: dict[str, Any], text: str) -> dict[str, Any] | None:
    """A view_submission answer showing `text` under the form's first input, or None."""
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    assert isinstance(view, dict)
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return {"response_action": "errors", "errors": {block["block_id"]: text[:150]}}
    return None


def outage_answer(body: Any, client: WebClient | None) -> tuple[int, str, str]:
    """(status, body, content type) for a request that could not be stored.

    A command and a form get the sentence in their answer; an event's person is told
    ephemerally; a click is answered by its lazy listener (`guarded`), here only acked.
    """
    data = body if isinstance(body, dict) else {}
    if isinstance(data.get("command"), str):
        text = json.dumps({"response_type": "ephemeral", "text": OUTAGE})
        return 200, text, "application/json;charset=utf-8"
    if data.get("type") == "view_submission":
        errors = view_errors(data, OUTAGE)
        if errors is not None:
            return 200, json.dumps(errors), "application/json;charset=utf-8"
    if data.get("type") == "event_callback" and client is not None:
        tell_in_event(client, data)
    return 200, "", "text/plain;charset=utf-8"


__all__ = [
    "OUTAGE",
    "REQUEST_SECONDS",
    "SLACK_FAILED",
    "TimedOut",
    "guarded",
    "outage_answer",
    "slack_error",
]
