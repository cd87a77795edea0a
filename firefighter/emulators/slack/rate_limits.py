"""Slack's Web API rate-limit tiers, per method, as its method reference lists them.

Tier 1 allows about 1 call a minute, Tier 2 about 20, Tier 3 about 50, Tier 4 about 100,
"with occasional bursts" (Slack). `chat.postMessage` is special: about one message a
second per channel, bursts allowed briefly. Each limit is a token bucket (capacity: the
burst; refill: the sustained rate); a call finding its bucket empty is answered 429 with
`Retry-After` in whole seconds, the time until the next token, as Slack does.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

PER_MINUTE = {1: 1.0, 2: 20.0, 3: 50.0, 4: 100.0}

TIERS: dict[str, int] = {
    "conversations.create": 2,
    "conversations.list": 2,
    "conversations.setTopic": 2,
    "conversations.setPurpose": 2,
    "conversations.rename": 2,
    "conversations.archive": 2,
    "conversations.unarchive": 2,
    "conversations.invite": 3,
    "conversations.kick": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.info": 3,
    "conversations.members": 4,
    "conversations.open": 3,
    "conversations.join": 3,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": 4,
    "pins.add": 2,
    "pins.remove": 2,
    "pins.list": 2,
    "bookmarks.add": 2,
    "bookmarks.edit": 2,
    "bookmarks.remove": 2,
    "bookmarks.list": 3,
    "reactions.add": 3,
    "reactions.get": 3,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "files.info": 4,
    "team.info": 3,
    "auth.test": 4,
    "apps.connections.open": 1,
}
"""Each method's tier; a method not listed here is not limited by the emulator."""

POST_PER_SECOND = 1.0
"""chat.postMessage: about one message per second per channel."""

POST_BURST = 3
"""…with short bursts: how many may go at once before the per-second pace applies."""


@dataclass
class Bucket:
    """A token bucket."""

    capacity: float
    per_second: float
    tokens: float
    updated: float

    def take(self, now: float) -> float | None:
        """Take a token; None if one was there, else seconds until the next one."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.per_second


class RateLimiter:
    """The workspace's buckets: one per tiered method, one per channel for posts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self.refused = 0

    def check(self, method: str, channel: str | None) -> int | None:
        """None when the call may go; else the Retry-After (seconds) to answer with a 429."""
        if method == "chat.postMessage":
            key, capacity, rate = (method, channel or ""), float(POST_BURST), POST_PER_SECOND
        elif method in TIERS:
            per_minute = PER_MINUTE[TIERS[method]]
            key, capacity, rate = (method, ""), per_minute, per_minute / 60.0
        else:
            return None
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = Bucket(capacity, rate, capacity, now)
            wait = bucket.take(now)
            if wait is None:
                return None
            self.refused += 1
        return max(1, math.ceil(wait))


def floor_seconds(posts_in_one_channel: int) -> float:
    """The least time Slack's pace allows for that many posts in one channel."""
    return max(0.0, (posts_in_one_channel - POST_BURST) / POST_PER_SECOND)
