"""The emulated workspace's state and the helpers every Web API family shares."""

from __future__ import annotations

import base64
import copy
import threading
import time
from typing import Any, TypeVar

from firefighter.emulators.slack.blockkit import fill_ids
from firefighter.emulators.slack.model import (
    Call,
    Channel,
    Message,
    MessageVersion,
    ResponsePost,
    ResponseTarget,
    SlackError,
    TranscriptEntry,
    Trigger,
    UploadedFile,
    User,
    Usergroup,
    View,
)
from firefighter.emulators.slack.wire import Args, Server

T = TypeVar("T")


class EmulatorState:
    """The workspace (users, channels, messages, views, files) and the lock guarding it.

    Each Web API family (conversations.py, chat.py, views.py...) is a mixin over this class,
    so every family sees one workspace under one lock; `SlackEmulator` composes them.
    """

    def __init__(
        self,
        host: str,
        port: int,
        bot_token: str,
        bot_user_id: str,
        team_id: str,
        *,
        bot_id: str,
        app_id: str,
        team_domain: str,
    ) -> None:
        self.host = host
        self.port = port
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.team_id = team_id
        self.team_domain = team_domain
        # Both are attributes so tests can shorten them instead of sleeping.
        self.trigger_ttl = 3.0
        self.response_url_max_uses = 5
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0
        self._last_ts = 0
        self._users: dict[str, User] = {}
        self._usergroups: dict[str, Usergroup] = {}
        self._channels: dict[str, Channel] = {}
        self._files: dict[str, UploadedFile] = {}
        self._views: dict[str, View] = {}
        self._view_stacks: dict[str, list[str]] = {}
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseTarget] = {}
        self._responses: list[ResponsePost] = []
        self._ephemerals: list[Message] = []
        self._pin_info: dict[tuple[str, str], tuple[str, float]] = {}
        self._log: list[TranscriptEntry] = []
        self._calls: list[Call] = []

    @property
    def base_url(self) -> str:
        """Root URL of the running emulator, e.g. `http://127.0.0.1:5555`."""
        if self._server is None:
            raise RuntimeError("SlackEmulator is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Web API base URL to give `slack_sdk.WebClient(base_url=...)`."""
        return f"{self.base_url}/api/"

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:08X}"

    def _new_ts(self) -> str:
        # Strictly increasing even when two posts land in the same microsecond.
        micros = max(int(time.time() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_channel(self, name: str, *, is_private: bool, creator: str) -> Channel:
        channel = Channel(
            id=self._next_id("G" if is_private else "C"),
            name=name,
            is_private=is_private,
            members=set(),
            created=time.time(),
            creator=creator,
        )
        self._channels[channel.id] = channel
        return channel

    def _find_channel_by_name(self, name: str) -> Channel | None:
        for channel in self._channels.values():
            if not channel.is_im and channel.name == name:
                return channel
        return None

    def _require_channel(self, channel_id: str) -> Channel:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise KeyError(f"no channel {channel_id!r} in the emulator")
        return channel

    def _user_name(self, user_id: str) -> str:
        user = self._users.get(user_id)
        return user.name if user is not None else user_id

    def _channel_label(self, channel: Channel | None) -> str:
        if channel is None:
            return ""
        if channel.is_im:
            return f"@{self._user_name(channel.im_user or '')}"
        return channel.name

    def _record(
        self,
        kind: str,
        channel: Channel | None,
        author: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        ts: str | None = None,
        audience: str | None = None,
    ) -> None:
        self._log.append(
            TranscriptEntry(
                at=time.time(),
                channel_id=channel.id if channel is not None else None,
                channel_name=self._channel_label(channel),
                author=self._user_name(author),
                kind=kind,
                text=text,
                blocks=copy.deepcopy(blocks or []),
                ts=ts,
                audience=self._user_name(audience) if audience else None,
            )
        )

    def _visible_channel(self, channel_ref: str, *, error: str = "channel_not_found") -> Channel:
        channel = self._channels.get(channel_ref)
        if channel is None and channel_ref.startswith("#"):
            channel = self._find_channel_by_name(channel_ref[1:])
        # Slack hides private conversations the bot is not in.
        if channel is None or (channel.is_private and self.bot_user_id not in channel.members):
            raise SlackError(error)
        return channel

    def _member_channel(self, channel_ref: str, *, allow_archived: bool = False) -> Channel:
        channel = self._visible_channel(channel_ref)
        if channel.is_archived and not allow_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _find_in_channel(self, channel: Channel, ts: str) -> Message | None:
        for message in channel.messages:
            if message.ts == ts:
                return message
        return None

    def _store_message(self, channel: Channel, message: Message) -> None:
        message.channel_id = channel.id
        message.posted_at = time.time()
        channel.messages.append(message)

    def _attach_reply(self, channel: Channel, message: Message, thread_ts: str) -> None:
        parent = self._find_in_channel(channel, thread_ts)
        if parent is None:
            raise SlackError("thread_not_found")
        if parent.is_reply and parent.thread_ts is not None:
            # A reply's ts addresses its thread, so the new reply joins the same thread.
            found = self._find_in_channel(channel, parent.thread_ts)
            if found is None:
                raise SlackError("thread_not_found")
            parent = found
        parent.thread_ts = parent.ts
        parent.reply_count += 1
        if message.user not in parent.reply_users:
            parent.reply_users.append(message.user)
        parent.latest_reply = message.ts
        message.thread_ts = parent.ts
        message.parent_user_id = parent.user

    def _open_im(self, user_id: str) -> tuple[Channel, bool]:
        for channel in self._channels.values():
            if channel.is_im and channel.im_user == user_id:
                return channel, True
        channel = Channel(
            id=self._next_id("D"),
            name="",
            is_private=True,
            members={self.bot_user_id, user_id},
            is_im=True,
            im_user=user_id,
            created=time.time(),
            creator=self.bot_user_id,
        )
        self._channels[channel.id] = channel
        return channel, False

    def _apply_edit(
        self,
        message: Message,
        text: str | None,
        blocks: list[dict[str, Any]] | None,
        attachments: list[dict[str, Any]] | None,
    ) -> None:
        message.edits.append(
            MessageVersion(
                text=message.text,
                blocks=copy.deepcopy(message.blocks),
                attachments=copy.deepcopy(message.attachments),
                replaced_at=time.time(),
            )
        )
        # Omitted fields keep their value, as chat.update does; an empty list clears.
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = fill_ids(blocks)
        if attachments is not None:
            message.attachments = attachments
        message.edited_ts = self._new_ts()

    def _page(
        self, items: list[T], args: Args, default_limit: int, max_limit: int = 1000
    ) -> tuple[list[T], str]:
        limit = args.integer("limit", default_limit)
        if limit <= 0:
            limit = default_limit
        limit = min(limit, max_limit)
        cursor = args.text("cursor")
        start = 0
        if cursor:
            try:
                start = int(base64.b64decode(cursor).decode().removeprefix("offset:"))
            except ValueError as exc:
                raise SlackError("invalid_cursor") from exc
        end = start + limit
        next_cursor = (
            base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
        )
        return items[start:end], next_cursor
