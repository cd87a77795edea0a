"""Slack posts that happen once, whatever dies when; a Slack client fit for the worker.

Delivery is at least once, so a worker that dies after Slack accepted a post but before the
database recorded it would, on redelivery, post again. Each post is therefore bracketed:

1. an *intent* row is written before the post (processed-requests table, keyed by the post);
2. the message carries its key in Slack message metadata
   (`{"event_type": "firefighter_effect", "event_payload": {"key": ...}}`);
3. the caller records the outcome (a timeline event marked posted, a card's ts stored).

A delivery that finds an intent but no outcome cannot know whether the post landed, so it
reads the channel (or thread) since the intent with `include_all_metadata` and adopts the
message carrying its key; only if there is none does it post. An answer that proves nothing
was posted (a 429, or a refusal such as `channel_not_found`) drops the intent, so the next
try does not pay for a lookup.

The same idea covers channel creation: `reclaim_channel` finds the channel a dead delivery
created but never recorded, so the retry does not open `-2` next to it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import RandomJitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy.orm import Session, sessionmaker

from firefighter.faults import NO_FAULTS, POSTED_UNMARKED, Faults
from firefighter.outbox import idempotency
from firefighter.settings import Settings
from firefighter.slack.pacing import Paced, PacedWebClient

log = logging.getLogger(__name__)

EFFECT_EVENT_TYPE = "firefighter_effect"
"""The metadata event type of every message the outbox posts."""

CLOCK_SKEW = timedelta(minutes=10)
"""How far before the intent the lookup reads: our clock and Slack's may disagree."""

PAGE_SIZE = 200
"""Messages or channels per lookup call (Slack advises no more than 200 for history)."""

_INTENT = "slack-intent:"
_POSTED = "slack-posted:"


def delivery_client(settings: Settings, *, timeout: int = 10) -> WebClient:
    """The Web API client for outbox handlers.

    Unlike the request-serving client it never retries by itself: a 429 or a 5xx comes back
    at once, and the caller decides. `OncePoster` tries a post again in place only after
    looking for it (a 5xx may come after Slack stored the message); idempotent calls go
    through `in_place_client`; anything longer is handed to the outbox.
    """
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2)],
    )


IN_PLACE_WAIT_MAX = 3.0
"""Longest Retry-After (seconds) a delivery thread waits out in place; longer goes to the
outbox, so one rate-limited channel does not hold the thread from other incidents."""


class ShortRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's Retry-After handler, for short waits only."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None  # the parent retries 429 answers only
        values = response.headers.get("retry-after") or response.headers.get("Retry-After")
        wait = values[0] if isinstance(values, list) and values else values
        try:
            return float(str(wait or 1)) <= IN_PLACE_WAIT_MAX
        except (TypeError, ValueError):
            return False


def in_place_client(client: WebClient) -> WebClient:
    """`client` with a few short in-place retries, for calls that are safe to repeat.

    `conversations.invite`, `setTopic`, `pins.add`, `bookmarks.list`, `chat.update` and
    `views.publish` do the same thing when sent twice (`bookmarks.add` does not: a second
    call makes a second bookmark, so it goes through the lookup first, without retries), so a
    5xx or a short rate limit is retried here, at once, instead of rescheduling the whole
    effect behind the outbox's backoff. Posts never use it: a repeated `chat.postMessage`
    is a second message.
    """
    quick = BackoffRetryIntervalCalculator(backoff_factor=0.2, jitter=RandomJitter())
    handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=quick),
        ShortRateLimitRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=3, interval_calculator=quick),
    ]
    if isinstance(client, PacedWebClient):
        retrying = PacedWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            retry_handlers=handlers,
        )
        retrying.pacer = client.pacer  # the same slots as the client it retries for
        return retrying
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=handlers,
    )


def metadata(key: str) -> dict[str, Any]:
    """The message metadata that names the post `key`."""
    return {"event_type": EFFECT_EVENT_TYPE, "event_payload": {"key": key}}


def key_of(message: dict[str, Any]) -> str | None:
    """The post key a Slack message carries in its metadata, or None."""
    meta = message.get("metadata")
    if not isinstance(meta, dict) or meta.get("event_type") != EFFECT_EVENT_TYPE:
        return None
    payload = meta.get("event_payload")
    key = payload.get("key") if isinstance(payload, dict) else None
    return str(key) if key is not None else None


UNCERTAIN = frozenset({"internal_error", "fatal_error", "request_timeout", "service_unavailable"})
"""Errors after which Slack says part of the work may have been done."""


def nothing_posted(error: SlackApiError) -> bool:
    """Whether Slack's answer proves the call changed nothing.

    A 429 is answered before any work, and `ok: false` with HTTP 200 is a refusal, except
    for the errors Slack documents as possibly half done. A 5xx or a lost connection may come
    after the message was stored, so they prove nothing.
    """
    response = error.response
    if response is None:
        return False
    if response.status_code == 429:
        return True
    return (
        response.status_code == 200
        and response.get("ok") is False
        and str(response.get("error")) not in UNCERTAIN
    )


POST_ATTEMPTS = 3
"""Tries of one post within one delivery (each after looking for the previous one)."""


def _in_place_wait(error: SlackApiError, attempt: int) -> float | None:
    """Seconds to wait before trying a failed post again in place, or None to give up."""
    response = error.response
    if attempt >= POST_ATTEMPTS or response is None:
        return None
    if response.status_code == 429:
        try:
            wait = float(response.headers.get("Retry-After") or 1)
        except (TypeError, ValueError):
            return None
        return wait if wait <= IN_PLACE_WAIT_MAX else None
    if response.status_code >= 500 or str(response.get("error")) in UNCERTAIN:
        return float(random.uniform(0.1, 0.4) * attempt)
    return None


@dataclass
class OncePoster:
    """Posts with `chat.postMessage` at most once per key, across crashes and redeliveries."""

    factory: sessionmaker[Session]
    client: WebClient
    faults: Faults = NO_FAULTS

    # ---- the intent and posted rows ------------------------------------------------

    def _created_at(self, key: str) -> datetime | None:
        return idempotency.remembered_at(self.factory, key)

    def _insert(self, key: str) -> None:
        # Wall-clock time, not the service clock: it is compared with Slack's ts. Already
        # there means the same.
        idempotency.remember(self.factory, key)

    def _delete(self, key: str) -> None:
        idempotency.forget(self.factory, key)

    def posted(self, key: str) -> bool:
        """Whether the post `key` was made and recorded by `post_and_mark`."""
        return self._created_at(_POSTED + key) is not None

    def mark_posted(self, key: str) -> None:
        """Record that the post `key` is made; its intent is no longer needed."""
        # False when marked by an earlier delivery that died before finishing the item.
        idempotency.replace(self.factory, _INTENT + key, _POSTED + key)

    # ---- posting -------------------------------------------------------------------

    def post(
        self, key: str, *, channel: str, thread_ts: str | None = None, **arguments: Any
    ) -> str:
        """Post unless a delivery that died already did; the message's ts either way.

        The caller records the ts (or calls `mark_posted`) once this returns: that record is
        what makes later deliveries skip the call altogether.
        """
        if thread_ts is not None:
            arguments["thread_ts"] = thread_ts
        for attempt in range(1, POST_ATTEMPTS + 1):
            intent = self._created_at(_INTENT + key)
            if intent is not None:
                found = self.find(key, channel=channel, thread_ts=thread_ts, since=intent)
                if found is not None:
                    log.info("post %s was made by an earlier delivery (ts %s)", key, found)
                    return found
            else:
                self._insert(_INTENT + key)
            try:
                posted = self.client.chat_postMessage(
                    channel=channel, metadata=metadata(key), **arguments
                )
            except Paced:
                # Held back before anything was sent: no lookup needed next time.
                self._delete(_INTENT + key)
                raise
            except SlackApiError as error:
                if nothing_posted(error):
                    self._delete(_INTENT + key)
                wait = _in_place_wait(error, attempt)
                if wait is None:
                    raise
                # Next round looks for the message first: a 5xx may come after Slack stored it.
                time.sleep(wait)
                continue
            return str(posted["ts"])
        raise AssertionError("unreachable: the last attempt returns or raises")

    def post_and_mark(
        self, key: str, *, channel: str, thread_ts: str | None = None, **arguments: Any
    ) -> None:
        """Post once for `key` and record it, for posts nobody needs the ts of."""
        if self.posted(key):
            return
        self.post(key, channel=channel, thread_ts=thread_ts, **arguments)
        self.faults.reach(POSTED_UNMARKED, key)
        self.mark_posted(key)

    # ---- finding what an earlier delivery posted ------------------------------------

    def _pages(
        self, channel: str, thread_ts: str | None, oldest: str
    ) -> Iterator[list[dict[str, Any]]]:
        cursor: str | None = None
        while True:
            arguments: dict[str, Any] = {
                "channel": channel,
                "oldest": oldest,
                "include_all_metadata": True,
                "limit": PAGE_SIZE,
            }
            if cursor:
                arguments["cursor"] = cursor
            if thread_ts is None:
                page = self.client.conversations_history(**arguments)
            else:
                page = self.client.conversations_replies(ts=thread_ts, **arguments)
            yield list(page.get("messages") or [])
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return

    def find(
        self, key: str, *, channel: str, thread_ts: str | None = None, since: datetime
    ) -> str | None:
        """The ts of the message carrying `key` posted in the channel (or thread) since
        `since`, or None."""
        oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
        for messages in self._pages(channel, thread_ts, oldest):
            for message in messages:
                if key_of(message) == key:
                    return str(message["ts"])
        return None


def reclaim_channel(
    client: WebClient, name: str, bot_user: str | None, *, not_before: datetime
) -> dict[str, Any] | None:
    """The open channel called `name` if this bot created it since `not_before`, else None.

    Called when `conversations.create` answers `name_taken`: a delivery that died between
    creating the incident's channel and recording it left it behind. Incident channel names
    carry the incident id, so a channel of that name that this bot made after the incident
    was declared is that incident's. The time rules out a namesake made by the same bot for
    an earlier database whose incident ids started over.
    """
    if not bot_user:
        return None
    cursor: str | None = None
    while True:
        arguments: dict[str, Any] = {
            "types": "public_channel,private_channel",
            "exclude_archived": True,
            "limit": PAGE_SIZE,
        }
        if cursor:
            arguments["cursor"] = cursor
        page = client.conversations_list(**arguments)
        for channel in page.get("channels") or []:
            if channel.get("name") == name:
                created = float(channel.get("created") or 0)
                ours = channel.get("creator") == bot_user
                recent = created >= (not_before - CLOCK_SKEW).timestamp()
                return dict(channel) if ours and recent else None
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return None
