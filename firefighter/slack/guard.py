"""Refuse payloads Bolt itself cannot read, before Bolt trips over them.

Bolt extracts actions, views, users and channels from a payload before any listener or
error handler runs, and a field of the wrong type (say `"actions": null`) makes it fail
with a 500. Slack never sends such payloads, but a bot facing the internet must not break
on them: they get a 400, or a 401 when they are not signed by Slack either.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt.request import internals, payload_utils
from slack_sdk.signature import Clock, SignatureVerifier

_READERS: tuple[Callable[[dict[str, Any]], Any], ...] = (
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_command,
    payload_utils.to_action,
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_view,
    payload_utils.to_step,
    internals.extract_is_enterprise_install,
    internals.extract_enterprise_id,
    internals.extract_actor_enterprise_id,
    internals.extract_team_id,
    internals.extract_actor_team_id,
    internals.extract_user_id,
    internals.extract_actor_user_id,
    internals.extract_channel_id,
    internals.extract_thread_ts,
    internals.extract_function_execution_id,
    internals.extract_function_bot_access_token,
    internals.extract_function_inputs,
)


def readable(body: str, content_type: str | None) -> bool:
    """Whether Bolt can read every field it extracts from this body."""
    return unreadable_field(body, content_type) is None


# The objects each payload type must carry for Bolt's matchers and our listeners to read it.
_OBJECTS: dict[str, tuple[str, ...]] = {
    "view_submission": ("view", "user"),
    "view_closed": ("view", "user"),
    "block_actions": ("user",),
    "shortcut": ("user",),
    "message_action": ("user", "channel", "message"),
    "event_callback": ("event",),
}


def unreadable_field(body: str, content_type: str | None) -> str | None:
    """The field that makes this body unreadable (`body` when it is not a payload at all),
    or None when Bolt and the listeners can read it."""
    try:
        parsed = internals.parse_body(body, content_type)
        if not isinstance(parsed, dict):
            return "body"
        for reader in _READERS:
            reader(parsed)
    except Exception:  # any failure here is a failure Bolt would have had
        return "body"
    kind = parsed.get("type")
    for name in _OBJECTS.get(kind if isinstance(kind, str) else "", ()):
        if not isinstance(parsed.get(name), dict):
            return name
    if kind == "block_actions":
        actions = parsed.get("actions")
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            return "actions"
    return None


def unreadable_answer(field: str) -> str:
    """The 400's text, naming the field."""
    return f"FireFighter could not read that request: {field}: not what Slack sends."


# Slack's advice: refuse requests whose timestamp is more than five minutes from now (replays).
MAX_AGE = 60 * 5


def unsigned_reason(
    secret: str, body: str, headers: Mapping[str, str], now: float | None = None
) -> str | None:
    """Why a request is not signed by Slack (naming the header), or None when it is.

    Decided from the headers and the raw bytes only, before anything parses the body.
    """
    if not secret:
        return None  # nothing to verify with: Bolt refuses it on its own
    stamp = str(headers.get("x-slack-request-timestamp") or "").strip()
    signature = str(headers.get("x-slack-signature") or "").strip()
    if not stamp.isdigit() or len(stamp) > 12:
        return "X-Slack-Request-Timestamp: not a Unix time in seconds"
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > MAX_AGE:
        return "X-Slack-Request-Timestamp: more than five minutes from now"
    if not signature.startswith("v0="):
        return "X-Slack-Signature: missing or not a v0 signature"
    verifier = SignatureVerifier(secret, clock=_Fixed(current))
    if not verifier.is_valid(body=body, timestamp=stamp, signature=signature):
        return "X-Slack-Signature: does not match the body with SLACK_SIGNING_SECRET"
    return None


class _Fixed(Clock):
    """The verifier's clock pinned to the time the request was judged by."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at
