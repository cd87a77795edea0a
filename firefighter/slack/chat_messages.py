"""Reading a Slack message for the timeline, and naming people through `users.info`.

Every refusal is one sentence that says what to do, because the listeners show it as is.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter.incidents.messages import ChatMessage
from firefighter.incidents.people import Lookup, Profile

log = logging.getLogger(__name__)

NOT_IN_CHANNEL = (
    "FireFighter cannot read that channel. Invite it with `/invite @FireFighter` there, "
    "then try again."
)
GONE = "That message is gone (deleted, or never there); nothing was added."
OWN = (
    "That is one of FireFighter's own messages; what it says is in the timeline already. "
    "Pin the message people wrote instead."
)


class Unreadable(Exception):
    """The bot cannot take this message; the text tells the user why and what to do."""


def _refusal(error: SlackApiError) -> Unreadable:
    code = str(error.response.get("error", "")) if error.response is not None else ""
    if code in ("not_in_channel", "channel_not_found", "missing_scope"):
        return Unreadable(NOT_IN_CHANNEL)
    if code in ("message_not_found", "thread_not_found", "no_item_specified"):
        return Unreadable(GONE)
    return Unreadable(f"Slack did not let FireFighter read that message ({code}); try again.")


def _written_at(ts: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def from_api(client: WebClient, channel_id: str, message: dict[str, Any]) -> ChatMessage:
    """The timeline's view of a message as the Web API or a shortcut payload renders it."""
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        raise Unreadable(OWN)
    ts = str(message.get("ts") or "")
    if not ts:
        raise Unreadable(GONE)
    try:
        permalink = str(client.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"])
    except SlackApiError as error:
        raise _refusal(error) from None
    files = tuple(
        str(f.get("name") or f.get("title") or "a file") for f in message.get("files") or ()
    )
    return ChatMessage(
        channel_id=channel_id,
        ts=ts,
        author=str(message.get("user") or "") or None,
        text=str(message.get("text") or ""),
        written_at=_written_at(ts),
        permalink=permalink,
        files=files,
        thread_ts=str(message.get("thread_ts") or "") or None,
    )


def read_message(client: WebClient, channel_id: str, ts: str) -> ChatMessage:
    """The message at `ts` in `channel_id`, top-level or in a thread; Unreadable if not.

    `reactions.get` answers with the message itself wherever it lives, so one call covers
    thread replies too (conversations.history would miss them).
    """
    try:
        answer = client.reactions_get(channel=channel_id, timestamp=ts, full=True)
    except SlackApiError as error:
        raise _refusal(error) from None
    except OSError:  # no answer within the limit of a call made while answering Slack
        raise Unreadable("Slack did not answer in time; try again.") from None
    return from_api(client, channel_id, dict(answer.get("message") or {}))


def profile_lookup(client: WebClient) -> Lookup:
    """`users.info` as the core's name lookup: None when Slack does not know the user."""

    def lookup(user_id: str) -> Profile | None:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            log.info("users.info %s: %s", user_id, error.response.get("error"))
            return None
        profile = user.get("profile") or {}
        return Profile(
            display_name=str(profile.get("display_name") or ""),
            real_name=str(profile.get("real_name") or user.get("real_name") or ""),
            deleted=bool(user.get("deleted")),
        )

    return lookup
