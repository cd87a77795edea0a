"""Calling Slack at the pace its rate-limit tiers allow, instead of learning it from 429s.

A burst of declarations would otherwise send every `conversations.create` at once, get a 429
for all but a few, retry them all after the same Retry-After, and so on: many calls for each
channel made. Each method the bot calls gets a token bucket sized from Slack's published tier
(`chat.postMessage`: one per second per channel, after a short burst); a call waits for its
slot in place when that is short, or is handed back to the outbox to be tried at its slot.
Slack's own 429s still win when another process shares the workspace's limits.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web.slack_response import SlackResponse

PER_MINUTE = {2: 20.0, 3: 50.0, 4: 100.0}
TIERS = {
    "conversations.create": 2,
    "conversations.setTopic": 2,
    "conversations.list": 2,
    "pins.add": 2,
    "bookmarks.add": 2,
    "usergroups.users.list": 2,
    "conversations.invite": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.open": 3,
    "chat.update": 3,
    "bookmarks.list": 3,
}
"""Slack's tiers for the methods the bot calls most (its method reference)."""

POST_PER_SECOND = 1.0
POST_BURST = 3.0
WAIT_IN_PLACE_MAX = 3.0
"""A longer wait goes back to the outbox, so one busy method does not hold the thread."""


class Paced(Exception):
    """The call's slot is `delay` seconds away: try again then (not a failure)."""

    def __init__(self, method: str, delay: float) -> None:
        super().__init__(f"{method}: waiting {delay:.1f} s for Slack's rate limit")
        self.delay = delay


class Pacer:
    """Token buckets shared by every client of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (method, channel) → (tokens, updated); tokens may go negative: reserved slots.
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def reserve(self, method: str, channel: str) -> float:
        """Take the next slot for `method`; seconds to wait before using it (0: now)."""
        if method == "chat.postMessage":
            key, capacity, rate = (method, channel), POST_BURST, POST_PER_SECOND
        elif method in TIERS:
            per_minute = PER_MINUTE[TIERS[method]]
            key, capacity, rate = (method, ""), per_minute, per_minute / 60.0
        else:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, updated = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - updated) * rate) - 1
            self._buckets[key] = (tokens, now)
        return 0.0 if tokens >= 0 else -tokens / rate

    def give_back(self, method: str, channel: str) -> None:
        """Return a slot not used (the call went back to the outbox)."""
        key = (method, channel if method == "chat.postMessage" else "")
        with self._lock:
            if key in self._buckets:
                tokens, updated = self._buckets[key]
                self._buckets[key] = (tokens + 1, updated)


class PacedWebClient(WebClient):
    """A WebClient whose calls wait for their rate-limit slot."""

    pacer: Pacer

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        """Wait for the method's slot (or raise Paced), then call Slack."""
        sent = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
        channel = str(sent.get("channel") or "") if isinstance(sent, dict) else ""
        wait = self.pacer.reserve(api_method, channel)
        if wait > WAIT_IN_PLACE_MAX:
            self.pacer.give_back(api_method, channel)
            raise Paced(api_method, wait)
        if wait > 0:
            time.sleep(wait)
        return super().api_call(api_method, **kwargs)


def paced(client: WebClient, pacer: Pacer) -> WebClient:
    """`client` (same token, URL, timeout and retry handlers) pacing itself with `pacer`."""
    if isinstance(client, PacedWebClient):
        return client
    copy = PacedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=list(client.retry_handlers),
    )
    copy.pacer = pacer
    return copy
