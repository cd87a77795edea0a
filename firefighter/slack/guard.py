"""Refuse payloads Bolt itself cannot read, before Bolt trips over them.

Bolt extracts actions, views, users and channels from a payload before any listener or
error handler runs, and a field of the wrong type (say `"actions": null`) makes it fail
with a 500. Slack never sends such payloads, but a bot facing the internet must not break
on them: they get a 400, or a 401 when they are not signed by Slack either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.request import internals, payload_utils
from slack_sdk.signature import SignatureVerifier

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
    try:
        parsed = internals.parse_body(body, content_type)
        if not isinstance(parsed, dict):
            return False
        for reader in _READERS:
            reader(parsed)
    except Exception:  # any failure here is a failure Bolt would have had
        return False
    return True


def refusal(secret: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    """401 for an unsigned request, 400 for a signed one Bolt cannot read."""
    verifier = SignatureVerifier(secret)
    signed = verifier.is_valid(
        body=body,
        timestamp=headers.get("x-slack-request-timestamp", ""),
        signature=headers.get("x-slack-signature", ""),
    )
    if not signed:
        return 401, "invalid request signature"
    return 400, "FireFighter could not read that request."
