"""conversations.*: channels, DMs, membership, topic and purpose, history and threads."""

from __future__ import annotations

import copy
import time
from typing import Any

from firefighter.emulators.slack.limits import TOPIC_LIMIT, channel_name_error
from firefighter.emulators.slack.model import Channel, SlackError
from firefighter.emulators.slack.state import EmulatorState
from firefighter.emulators.slack.wire import Args


def _ts_key(ts: str) -> int:
    seconds, _, micros = ts.partition(".")
    try:
        return int(seconds) * 1_000_000 + int((micros or "0").ljust(6, "0")[:6])
    except ValueError:
        return -1


class ConversationsApi(EmulatorState):
    """The conversations.* Web API methods and channel inspection."""

    def channel(self, channel_id: str) -> Channel:
        """A snapshot of a channel; KeyError if unknown."""
        with self._lock:
            return copy.deepcopy(self._require_channel(channel_id))

    def channel_by_name(self, name: str) -> Channel | None:
        """A snapshot of the channel with that name (archived ones included), or None."""
        with self._lock:
            channel = self._find_channel_by_name(name.lstrip("#"))
            return copy.deepcopy(channel) if channel is not None else None

    @property
    def channels(self) -> list[Channel]:
        """Snapshots of every conversation."""
        with self._lock:
            return copy.deepcopy(list(self._channels.values()))

    def _channel_obj(self, channel: Channel, *, num_members: bool = False) -> dict[str, Any]:
        if channel.is_im:
            return {
                "id": channel.id,
                "created": int(channel.created),
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": self.team_id,
                "user": channel.im_user,
                "is_user_deleted": False,
                "is_archived": False,
                "is_open": True,
                "priority": 0,
            }
        obj: dict[str, Any] = {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_private and not channel.is_mpim,
            "is_group": channel.is_private and not channel.is_mpim,
            "is_im": False,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "created": int(channel.created),
            "is_archived": channel.is_archived,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": channel.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": self.team_id,
            "parent_conversation": None,
            "creator": channel.creator,
            "is_member": self.bot_user_id in channel.members,
            "shared_team_ids": [self.team_id],
            "topic": {
                "value": channel.topic,
                "creator": channel.topic_set_by,
                "last_set": int(channel.topic_set_at),
            },
            "purpose": {
                "value": channel.purpose,
                "creator": channel.purpose_set_by,
                "last_set": int(channel.purpose_set_at),
            },
            "previous_names": [],
        }
        if num_members:
            obj["num_members"] = len(channel.members)
        return obj

    def _conversations_create(self, args: Args) -> dict[str, Any]:
        name = args.text("name")
        error = channel_name_error(name)
        if error:
            raise SlackError(error)
        if self._find_channel_by_name(name) is not None:
            raise SlackError("name_taken")
        channel = self._new_channel(
            name, is_private=args.flag("is_private"), creator=self.bot_user_id
        )
        channel.members.add(self.bot_user_id)
        self._record("channel_created", channel, self.bot_user_id, f"created #{name}")
        return {"channel": self._channel_obj(channel)}

    def _conversations_invite(self, args: Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        users = args.csv("users")
        if not users:
            raise SlackError("no_user")
        if self.bot_user_id in users:
            raise SlackError("cant_invite_self")
        for user_id in users:
            if user_id not in self._users:
                raise SlackError("user_not_found")
        new = [u for u in dict.fromkeys(users) if u not in channel.members]
        if not new:
            raise SlackError("already_in_channel")
        channel.members.update(new)
        names = ", ".join(f"@{self._user_name(u)}" for u in new)
        self._record("invite", channel, self.bot_user_id, f"invited {names}")
        return {"channel": self._channel_obj(channel)}

    def _conversations_kick(self, args: Args) -> dict[str, Any]:
        channel = self._member_channel(args.text("channel"))
        user_id = args.required("user")
        if user_id == self.bot_user_id:
            raise SlackError("cant_kick_self")
        if user_id not in self._users:
            raise SlackError("user_not_found")
        if user_id not in channel.members:
            raise SlackError("not_in_channel")
        channel.members.discard(user_id)
        self._record("kick", channel, self.bot_user_id, f"removed @{self._user_name(user_id)}")
        return {}

    def _conversations_set_topic(self, args: Args) -> dict[str, Any]:
        channel = self._member_channel(args.text("channel"))
        topic = args.text("topic")
        if len(topic) > TOPIC_LIMIT:
            raise SlackError("too_long")
        channel.topic, channel.topic_set_by, channel.topic_set_at = (
            topic,
            self.bot_user_id,
            time.time(),
        )
        self._record("topic", channel, self.bot_user_id, topic)
        return {"channel": self._channel_obj(channel)}

    def _conversations_set_purpose(self, args: Args) -> dict[str, Any]:
        channel = self._member_channel(args.text("channel"))
        purpose = args.text("purpose")
        if len(purpose) > TOPIC_LIMIT:
            raise SlackError("too_long")
        channel.purpose, channel.purpose_set_by, channel.purpose_set_at = (
            purpose,
            self.bot_user_id,
            time.time(),
        )
        self._record("purpose", channel, self.bot_user_id, purpose)
        return {"channel": self._channel_obj(channel)}

    def _conversations_archive(self, args: Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("already_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        channel.is_archived = True
        self._record("archive", channel, self.bot_user_id, f"archived #{channel.name}")
        return {}

    def _conversations_unarchive(self, args: Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        if not channel.is_archived:
            raise SlackError("not_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        channel.is_archived = False
        self._record("unarchive", channel, self.bot_user_id, f"unarchived #{channel.name}")
        return {}

    def _conversations_rename(self, args: Args) -> dict[str, Any]:
        channel = self._member_channel(args.text("channel"))
        name = args.text("name")
        error = channel_name_error(name)
        if error:
            raise SlackError(error)
        other = self._find_channel_by_name(name)
        if other is not None and other.id != channel.id:
            raise SlackError("name_taken")
        old = channel.name
        channel.name = name
        self._record("rename", channel, self.bot_user_id, f"renamed #{old} to #{name}")
        return {"channel": self._channel_obj(channel)}

    def _conversations_info(self, args: Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        return {"channel": self._channel_obj(channel, num_members=args.flag("include_num_members"))}

    def _conversations_list(self, args: Args) -> dict[str, Any]:
        types = set(args.csv("types") or ["public_channel"])
        exclude_archived = args.flag("exclude_archived")
        found: list[Channel] = []
        for channel in self._channels.values():
            kind = (
                "im"
                if channel.is_im
                else "mpim"
                if channel.is_mpim
                else "private_channel"
                if channel.is_private
                else "public_channel"
            )
            if kind not in types or (exclude_archived and channel.is_archived):
                continue
            if kind != "public_channel" and self.bot_user_id not in channel.members:
                continue
            found.append(channel)
        page, cursor = self._page(found, args, 100)
        return {
            "channels": [self._channel_obj(c) for c in page],
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_members(self, args: Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        page, cursor = self._page(sorted(channel.members), args, 100)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_join(self, args: Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        if channel.is_private or channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id in channel.members:
            return {
                "channel": self._channel_obj(channel),
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        channel.members.add(self.bot_user_id)
        self._record("join", channel, self.bot_user_id, "joined")
        return {"channel": self._channel_obj(channel)}

    def _readable_channel(self, args: Args) -> Channel:
        channel = self._visible_channel(args.text("channel"))
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _conversations_history(self, args: Args) -> dict[str, Any]:
        channel = self._readable_channel(args)
        inclusive = args.flag("inclusive")
        latest = _ts_key(args.text("latest")) if args.has("latest") else None
        oldest = _ts_key(args.text("oldest")) if args.has("oldest") else None
        selected = []
        for message in reversed(channel.messages):
            if message.is_reply and not message.reply_broadcast:
                continue
            key = _ts_key(message.ts)
            if latest is not None and (key > latest or (key == latest and not inclusive)):
                continue
            if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
                continue
            selected.append(message)
        page, cursor = self._page(selected, args, 100, 999)
        with_metadata = args.flag("include_all_metadata")
        return {
            "messages": [m.to_api(with_metadata=with_metadata) for m in page],
            "has_more": bool(cursor),
            "pin_count": len(channel.pins),
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_replies(self, args: Args) -> dict[str, Any]:
        channel = self._readable_channel(args)
        ts = args.required("ts")
        message = self._find_in_channel(channel, ts)
        if message is None:
            raise SlackError("thread_not_found")
        root_ts = message.thread_ts or message.ts
        root = self._find_in_channel(channel, root_ts) or message
        thread = [root] + [m for m in channel.messages if m.is_reply and m.thread_ts == root.ts]
        page, cursor = self._page(thread, args, 1000)
        with_metadata = args.flag("include_all_metadata")
        return {
            "messages": [m.to_api(with_metadata=with_metadata) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_open(self, args: Args) -> dict[str, Any]:
        if args.has("channel"):
            channel = self._visible_channel(args.text("channel"))
            return {"no_op": True, "already_open": True, "channel": self._channel_obj(channel)}
        users = [u for u in args.csv("users") if u != self.bot_user_id]
        if not users:
            raise SlackError("users_list_not_supplied")
        for user_id in users:
            if user_id not in self._users:
                raise SlackError("user_not_found")
        if len(users) == 1:
            channel, existed = self._open_im(users[0])
        else:
            members = {self.bot_user_id, *users}
            existing = [c for c in self._channels.values() if c.is_mpim and c.members == members]
            existed = bool(existing)
            if existing:
                channel = existing[0]
            else:
                name = "mpdm-" + "--".join(self._user_name(u) for u in sorted(members)) + "-1"
                channel = self._new_channel(name, is_private=True, creator=self.bot_user_id)
                channel.is_mpim = True
                channel.members = members
        full = self._channel_obj(channel) if args.flag("return_im") else {"id": channel.id}
        out: dict[str, Any] = {"channel": full}
        if existed:
            out.update(no_op=True, already_open=True)
        return out
