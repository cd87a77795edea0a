"""What the emulator stores and tests read back: users, channels, messages, views, calls."""

from __future__ import annotations

import copy
import mimetypes
from dataclasses import dataclass, field
from typing import Any


class SlackError(Exception):
    """A Slack Web API error answered as `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Call:
    """One Web API call as the emulator received and answered it."""

    method: str
    args: dict[str, Any]
    at: float
    response: dict[str, Any]
    status: int = 200
    fault: str | None = None


@dataclass
class User:
    """A workspace member."""

    id: str
    name: str
    real_name: str
    tz: str
    is_bot: bool = False
    email: str = ""
    display_name: str | None = None
    """The profile's display name; None means the user never set one (Slack sends "")."""
    deleted: bool = False


@dataclass
class Usergroup:
    """A user group (`@handle`)."""

    id: str
    handle: str
    users: list[str]
    name: str = ""


@dataclass
class MessageVersion:
    """An earlier version of an edited message."""

    text: str
    blocks: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    replaced_at: float


@dataclass
class Message:
    """A message as stored in a channel, a thread or an ephemeral slot."""

    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    edits: list[MessageVersion] = field(default_factory=list)
    ephemeral_for: str | None = None
    channel_id: str = ""
    team: str = ""
    bot_id: str | None = None
    app_id: str | None = None
    subtype: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    reply_count: int = 0
    reply_users: list[str] = field(default_factory=list)
    latest_reply: str | None = None
    parent_user_id: str | None = None
    edited_ts: str | None = None
    reply_broadcast: bool = False
    response_type: str | None = None
    posted_at: float = 0.0
    reactions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_reply(self) -> bool:
        """True when the message lives inside another message's thread."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, *, with_metadata: bool = True) -> dict[str, Any]:
        """Render the message the way the Web API returns it.

        History methods leave metadata out unless asked (`include_all_metadata`), as Slack does.
        """
        out: dict[str, Any] = {
            "type": "message",
            "text": self.text,
            "user": self.user,
            "ts": self.ts,
        }
        if self.team:
            out["team"] = self.team
        if self.subtype:
            out["subtype"] = self.subtype
        if self.bot_id:
            out["bot_id"] = self.bot_id
        if self.app_id:
            out["app_id"] = self.app_id
        if self.blocks:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            out["attachments"] = copy.deepcopy(self.attachments)
        if self.metadata is not None and with_metadata:
            out["metadata"] = copy.deepcopy(self.metadata)
        if self.files:
            out["files"] = copy.deepcopy(self.files)
            out["upload"] = True
        if self.thread_ts is not None:
            out["thread_ts"] = self.thread_ts
        if self.is_reply and self.parent_user_id:
            out["parent_user_id"] = self.parent_user_id
        if self.reply_count:
            out["reply_count"] = self.reply_count
            out["reply_users"] = list(self.reply_users)
            out["reply_users_count"] = len(self.reply_users)
            out["latest_reply"] = self.latest_reply
        if self.edited_ts:
            out["edited"] = {"user": self.user, "ts": self.edited_ts}
        if self.reactions:
            out["reactions"] = copy.deepcopy(self.reactions)
        return out


@dataclass
class Channel:
    """A conversation: public or private channel, DM or group DM."""

    id: str
    name: str
    is_private: bool
    members: set[str]
    topic: str = ""
    purpose: str = ""
    is_archived: bool = False
    is_im: bool = False
    is_mpim: bool = False
    im_user: str | None = None
    pins: list[str] = field(default_factory=list)
    bookmarks: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    created: float = 0.0
    creator: str = ""
    topic_set_by: str = ""
    topic_set_at: float = 0.0
    purpose_set_by: str = ""
    purpose_set_at: float = 0.0


@dataclass
class UploadedFile:
    """A file uploaded through files.getUploadURLExternal and friends."""

    id: str
    name: str
    title: str
    length: int
    user: str
    created: float
    content: bytes = b""
    uploaded: bool = False
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    shares: dict[str, list[str]] = field(default_factory=dict)
    alt_txt: str = ""

    @property
    def mimetype(self) -> str:
        """Mimetype guessed from the file name, as Slack does."""
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


@dataclass
class View:
    """A modal (or Home tab) as opened, updated or pushed by the bot."""

    id: str
    user_id: str
    view: dict[str, Any]
    hash: str
    external_id: str
    root_view_id: str
    previous_view_id: str | None
    opened_at: float
    updated_at: float
    closed: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def callback_id(self) -> str:
        """The callback_id the bot gave the view."""
        return str(self.view.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        """The private_metadata the bot gave the view."""
        return str(self.view.get("private_metadata") or "")

    @property
    def title(self) -> str:
        """The title text of the view."""
        title = self.view.get("title") or {}
        return str(title.get("text", "")) if isinstance(title, dict) else ""


@dataclass
class ResponsePost:
    """One POST to a response_url (or a slash command's immediate reply)."""

    at: float
    url: str
    channel_id: str | None
    user_id: str
    payload: dict[str, Any]
    action: str
    message_ts: str | None
    status: int


@dataclass
class TranscriptEntry:
    """One visible thing that happened, in order, for humans reading a demo."""

    at: float
    channel_id: str | None
    channel_name: str
    author: str
    kind: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    ts: str | None = None
    audience: str | None = None


@dataclass
class FaultConfig:
    """Probabilities of injected failures per Web API call."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 2.0
    retry_after: int = 1
    methods: frozenset[str] | None = None
    limit: int | None = None
    after_work: float = 0.0


@dataclass
class Trigger:
    """A trigger_id sent with a user action: good for one view, for `trigger_ttl` seconds."""

    user_id: str
    issued: float
    used: bool = False


@dataclass
class ResponseTarget:
    """Where a response_url posts: a channel, a user, maybe the message acted upon."""

    channel_id: str | None
    user_id: str
    message_ts: str | None
    is_ephemeral: bool
    created: float
    uses: int = 0
