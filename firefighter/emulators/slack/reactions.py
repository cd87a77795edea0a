"""reactions.*: emoji on messages, with Slack's rules (one of each name per person)."""

from __future__ import annotations

import copy
import re
from typing import Any

from firefighter.emulators.slack.model import Channel, Message, SlackError
from firefighter.emulators.slack.state import EmulatorState
from firefighter.emulators.slack.wire import Args

# Slack allows at most this many distinct reactions on one message (too_many_emoji) and
# this many reactions in total (too_many_reactions).
EMOJI_MAX = 23
REACTIONS_MAX = 50
_NAME = re.compile(r"^[a-z0-9_+'-]+(::skin-tone-[2-6])?$")


class ReactionsApi(EmulatorState):
    """reactions.add, reactions.remove, reactions.get, and the helpers tests and the driver use."""

    def _reacted_message(self, args: Args, *, read: bool) -> tuple[Channel, Message]:
        channel_ref, ts = args.text("channel"), args.text("timestamp")
        if not channel_ref or not ts:
            raise SlackError("no_item_specified")
        channel = self._visible_channel(channel_ref)
        if read and self.bot_user_id not in channel.members:
            # Reading a conversation's messages needs membership, as conversations.history.
            raise SlackError("not_in_channel")
        if not read and channel.is_archived:
            raise SlackError("is_archived")
        message = self._find_in_channel(channel, ts)
        if message is None:
            raise SlackError("message_not_found")
        return channel, message

    def _react(self, message: Message, user_id: str, name: str) -> None:
        if not _NAME.match(name):
            raise SlackError("invalid_name")
        for reaction in message.reactions:
            if reaction["name"] == name:
                if user_id in reaction["users"]:
                    raise SlackError("already_reacted")
                reaction["users"].append(user_id)
                reaction["count"] += 1
                return
        if len(message.reactions) >= EMOJI_MAX:
            raise SlackError("too_many_emoji")
        if sum(r["count"] for r in message.reactions) >= REACTIONS_MAX:
            raise SlackError("too_many_reactions")
        message.reactions.append({"name": name, "users": [user_id], "count": 1})

    def _reactions_add(self, args: Args) -> dict[str, Any]:
        channel, message = self._reacted_message(args, read=False)
        name = args.required("name").strip(":")
        self._react(message, self.bot_user_id, name)
        self._record("reaction", channel, self.bot_user_id, f":{name}:", ts=message.ts)
        return {}

    def _reactions_remove(self, args: Args) -> dict[str, Any]:
        _channel, message = self._reacted_message(args, read=False)
        name = args.required("name").strip(":")
        for reaction in message.reactions:
            if reaction["name"] == name and self.bot_user_id in reaction["users"]:
                reaction["users"].remove(self.bot_user_id)
                reaction["count"] -= 1
                if not reaction["count"]:
                    message.reactions.remove(reaction)
                return {}
        raise SlackError("no_reaction")

    def _reactions_get(self, args: Args) -> dict[str, Any]:
        channel, message = self._reacted_message(args, read=True)
        return {"type": "message", "channel": channel.id, "message": message.to_api()}

    # -- helpers for the driver and tests ------------------------------------

    def add_user_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> Message:
        """A person reacts to a message (no API call); ValueError on Slack's refusals."""
        with self._lock:
            channel = self._require_channel(channel_id)
            message = self._find_in_channel(channel, ts)
            if message is None:
                raise ValueError(f"no message {ts} in {channel_id}")
            try:
                self._react(message, user_id, name)
            except SlackError as error:
                raise ValueError(error.error) from None
            self._record("reaction", channel, user_id, f":{name}:", ts=ts)
            self._changed.notify_all()
            return copy.deepcopy(message)

    def reactions_on(self, channel_id: str, ts: str) -> dict[str, list[str]]:
        """{emoji name: users} on a stored message."""
        with self._lock:
            message = self._find_in_channel(self._require_channel(channel_id), ts)
            if message is None:
                raise KeyError(f"no message {ts} in {channel_id}")
            return {r["name"]: list(r["users"]) for r in message.reactions}
