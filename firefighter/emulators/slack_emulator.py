"""A loopback Slack Web API emulator that applies Slack's rules and records every call."""

from __future__ import annotations

import base64
import copy
import json
import mimetypes
import random
import re
import secrets
import string
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")

MESSAGE_TEXT_LIMIT = 40_000
MESSAGE_BLOCK_LIMIT = 50
MODAL_BLOCK_LIMIT = 100
SECTION_TEXT_LIMIT = 3000
SECTION_FIELD_LIMIT = 2000
SECTION_FIELDS_MAX = 10
HEADER_TEXT_LIMIT = 150
CONTEXT_TEXT_LIMIT = 3000
CONTEXT_ELEMENTS_MAX = 10
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ACTIONS_ELEMENTS_MAX = 25
ID_LIMIT = 255
VIEW_TITLE_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000
CHANNEL_NAME_LIMIT = 80
TOPIC_LIMIT = 250
PINS_MAX = 100
VIEW_STACK_MAX = 3
RESPONSE_URL_LIFETIME = 30 * 60

_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
_ID_ALPHABET = string.ascii_letters + string.digits
# Block and action ids only need to be unique, so they come from a generator that
# never touches the seeded fault RNG (a seed must reproduce the same faults).
_ids_rng = random.Random()


class SlackError(Exception):
    """A Slack Web API error answered as `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# ---------------------------------------------------------------------------
# Records exposed to tests
# ---------------------------------------------------------------------------


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


@dataclass
class _Trigger:
    user_id: str
    issued: float
    used: bool = False


@dataclass
class _ResponseTarget:
    channel_id: str | None
    user_id: str
    message_ts: str | None
    is_ephemeral: bool
    created: float
    uses: int = 0


# ---------------------------------------------------------------------------
# Block Kit validation
# ---------------------------------------------------------------------------


def _text_len_error(limit: int) -> str:
    return f"must be less than {limit + 1} characters"


class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def text(
        self, obj: Any, ptr: str, limit: int, *, plain_only: bool = False, required: bool = True
    ) -> None:
        if obj is None:
            if required:
                self.err("missing required field: text", ptr)
            return
        if not isinstance(obj, dict):
            self.err("must be a text object", ptr)
            return
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if obj.get("type") not in allowed:
            self.err(f"must be one of {', '.join(allowed)}", f"{ptr}/type")
        value = obj.get("text")
        if not isinstance(value, str):
            self.err("missing required field: text", f"{ptr}/text")
        elif not value:
            self.err("must be more than 0 characters", f"{ptr}/text")
        elif len(value) > limit:
            self.err(_text_len_error(limit), f"{ptr}/text")

    def ident(self, value: Any, ptr: str) -> None:
        if not isinstance(value, str) or not value:
            self.err("must be a non-empty string", ptr)
        elif len(value) > ID_LIMIT:
            self.err(_text_len_error(ID_LIMIT), ptr)

    def options(self, options: Any, ptr: str, max_items: int) -> None:
        if not isinstance(options, list) or not options:
            self.err("must provide at least 1 option", ptr)
            return
        if len(options) > max_items:
            self.err(f"must provide no more than {max_items} items", ptr)
        for i, option in enumerate(options):
            if not isinstance(option, dict):
                self.err("must be an option object", f"{ptr}/{i}")
                continue
            self.text(option.get("text"), f"{ptr}/{i}/text", 75)
            value = option.get("value")
            if not isinstance(value, str) or len(value) > 150:
                self.err("must be a string of at most 150 characters", f"{ptr}/{i}/value")

    def element(self, el: Any, ptr: str, action_ids: set[str]) -> None:
        if not isinstance(el, dict):
            self.err("must be an element object", ptr)
            return
        etype = el.get("type")
        if not isinstance(etype, str) or not etype:
            self.err("missing required field: type", ptr)
            return
        if "action_id" in el:
            action_id = el["action_id"]
            self.ident(action_id, f"{ptr}/action_id")
            if isinstance(action_id, str):
                if action_id in action_ids:
                    self.err(f"duplicate action_id: {action_id}", f"{ptr}/action_id")
                action_ids.add(action_id)
        if etype == "button":
            self.text(el.get("text"), f"{ptr}/text", BUTTON_TEXT_LIMIT, plain_only=True)
            value = el.get("value")
            if value is not None and (
                not isinstance(value, str) or len(value) > BUTTON_VALUE_LIMIT
            ):
                self.err(_text_len_error(BUTTON_VALUE_LIMIT), f"{ptr}/value")
            url = el.get("url")
            if url is not None and (not isinstance(url, str) or len(url) > 3000):
                self.err(_text_len_error(3000), f"{ptr}/url")
            if el.get("style") not in (None, "primary", "danger"):
                self.err("must be one of primary, danger", f"{ptr}/style")
        elif etype in ("static_select", "multi_static_select"):
            if "option_groups" in el:
                groups = el["option_groups"]
                if not isinstance(groups, list) or not groups:
                    self.err("must provide at least 1 option group", f"{ptr}/option_groups")
                else:
                    for g, group in enumerate(groups):
                        options = group.get("options") if isinstance(group, dict) else None
                        self.options(options, f"{ptr}/option_groups/{g}/options", 100)
            else:
                self.options(el.get("options"), f"{ptr}/options", 100)
        elif etype == "overflow":
            self.options(el.get("options"), f"{ptr}/options", 5)
        elif etype in ("checkboxes", "radio_buttons"):
            self.options(el.get("options"), f"{ptr}/options", 10)
        elif etype == "plain_text_input":
            max_length = el.get("max_length")
            if max_length is not None and (not isinstance(max_length, int) or max_length > 3000):
                self.err("must be at most 3000", f"{ptr}/max_length")
        if "placeholder" in el:
            self.text(el["placeholder"], f"{ptr}/placeholder", 150, plain_only=True)

    def block(self, block: Any, ptr: str, block_ids: set[str]) -> None:
        if not isinstance(block, dict):
            self.err("must be a block object", ptr)
            return
        btype = block.get("type")
        if not isinstance(btype, str) or not btype:
            self.err("missing required field: type", ptr)
            return
        if btype not in _BLOCK_TYPES:
            self.err(f"unsupported block type: {btype}", f"{ptr}/type")
            return
        if "block_id" in block:
            block_id = block["block_id"]
            self.ident(block_id, f"{ptr}/block_id")
            if isinstance(block_id, str):
                if block_id in block_ids:
                    self.err(f"duplicate block_id: {block_id}", f"{ptr}/block_id")
                block_ids.add(block_id)
        action_ids: set[str] = set()
        if btype == "section":
            if "text" not in block and "fields" not in block:
                self.err("must provide either text or fields", ptr)
            if "text" in block:
                self.text(block["text"], f"{ptr}/text", SECTION_TEXT_LIMIT)
            if "fields" in block:
                fields = block["fields"]
                if not isinstance(fields, list) or not fields:
                    self.err("must provide at least 1 item", f"{ptr}/fields")
                else:
                    if len(fields) > SECTION_FIELDS_MAX:
                        self.err(
                            f"must provide no more than {SECTION_FIELDS_MAX} items", f"{ptr}/fields"
                        )
                    for i, item in enumerate(fields):
                        self.text(item, f"{ptr}/fields/{i}", SECTION_FIELD_LIMIT)
            if "accessory" in block:
                self.element(block["accessory"], f"{ptr}/accessory", action_ids)
        elif btype == "header":
            self.text(block.get("text"), f"{ptr}/text", HEADER_TEXT_LIMIT, plain_only=True)
        elif btype == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err("must provide at least 1 item", f"{ptr}/elements")
                return
            if len(elements) > CONTEXT_ELEMENTS_MAX:
                self.err(
                    f"must provide no more than {CONTEXT_ELEMENTS_MAX} items", f"{ptr}/elements"
                )
            for i, item in enumerate(elements):
                if isinstance(item, dict) and item.get("type") == "image":
                    continue
                self.text(item, f"{ptr}/elements/{i}", CONTEXT_TEXT_LIMIT)
        elif btype == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err("must provide at least 1 item", f"{ptr}/elements")
                return
            if len(elements) > ACTIONS_ELEMENTS_MAX:
                self.err(
                    f"must provide no more than {ACTIONS_ELEMENTS_MAX} items", f"{ptr}/elements"
                )
            for i, item in enumerate(elements):
                self.element(item, f"{ptr}/elements/{i}", action_ids)
        elif btype == "input":
            self.text(block.get("label"), f"{ptr}/label", 2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{ptr}/hint", 2000, plain_only=True)
            if "element" not in block:
                self.err("missing required field: element", ptr)
            else:
                self.element(block["element"], f"{ptr}/element", action_ids)
        elif btype == "image":
            if "image_url" not in block and "slack_file" not in block:
                self.err("missing required field: image_url", ptr)
            alt = block.get("alt_text")
            if not isinstance(alt, str) or not alt or len(alt) > 2000:
                self.err("missing or too long field: alt_text", f"{ptr}/alt_text")
        elif btype == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or len(text) > 12_000:
                self.err(_text_len_error(12_000), f"{ptr}/text")


def validate_blocks(
    blocks: Any, *, max_blocks: int = MESSAGE_BLOCK_LIMIT, root: str = "/blocks"
) -> list[str]:
    """Return Slack-style `invalid_blocks` messages for a block list; empty when valid."""
    checker = _Validator()
    if not isinstance(blocks, list):
        checker.err("must be an array", root)
        return checker.errors
    if len(blocks) > max_blocks:
        checker.err(f"must provide no more than {max_blocks} items", root)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        checker.block(block, f"{root}/{i}", block_ids)
    return checker.errors


def validate_view(view: Any, *, kind: str = "modal") -> list[str]:
    """Return Slack-style validation messages for a view payload; empty when valid."""
    checker = _Validator()
    if not isinstance(view, dict):
        checker.err("must be an object", "/view")
        return checker.errors
    if view.get("type") != kind:
        checker.err(f"must be {kind}", "/view/type")
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", VIEW_TITLE_LIMIT, plain_only=True)
    for key in ("submit", "close"):
        if view.get(key) is not None:
            checker.text(view[key], f"/view/{key}", VIEW_TITLE_LIMIT, plain_only=True)
    for key, limit in (
        ("callback_id", ID_LIMIT),
        ("external_id", ID_LIMIT),
        ("private_metadata", 3000),
    ):
        value = view.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            checker.err(_text_len_error(limit), f"/view/{key}")
    blocks = view.get("blocks")
    checker.errors.extend(
        validate_blocks(blocks, max_blocks=MODAL_BLOCK_LIMIT, root="/view/blocks")
    )
    has_input = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if kind == "modal" and has_input and not view.get("submit"):
        checker.err(
            "submit is required when an input block is within the blocks array", "/view/submit"
        )
    return checker.errors


def blocks_text(blocks: Iterable[dict[str, Any]]) -> str:
    """Flatten blocks to readable plain text (for transcripts and assertions)."""
    lines: list[str] = []

    def text_of(obj: Any) -> str:
        return str(obj.get("text", "")) if isinstance(obj, dict) else ""

    for block in blocks:
        btype = block.get("type")
        if btype in ("section", "header"):
            if "text" in block:
                lines.append(text_of(block["text"]))
            fields = block.get("fields") or []
            if fields:
                lines.append(" | ".join(text_of(f) for f in fields))
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                lines.append(f"[{text_of(accessory.get('text'))}]")
        elif btype == "context":
            lines.append(
                " ".join(text_of(e) for e in block.get("elements") or [] if isinstance(e, dict))
            )
        elif btype == "actions":
            labels = []
            for el in block.get("elements") or []:
                label = (
                    text_of(el.get("text")) or text_of(el.get("placeholder")) or str(el.get("type"))
                )
                labels.append(f"[{label}]")
            lines.append(" ".join(labels))
        elif btype == "input":
            lines.append(f"{text_of(block.get('label'))}: ____")
        elif btype == "image":
            lines.append(f"<image: {block.get('alt_text', '')}>")
        elif btype == "markdown":
            lines.append(str(block.get("text", "")))
        elif btype == "divider":
            lines.append("---")
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------------------
# Request parsing
# ---------------------------------------------------------------------------


class _Args:
    """Typed access to a Web API call's arguments, whatever the encoding."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def required(self, key: str, error: str = "invalid_arguments") -> str:
        value = self.text(key)
        if not value:
            raise SlackError(
                error, response_metadata={"messages": [f"[ERROR] missing required field: {key}"]}
            )
        return value

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes")

    def integer(self, key: str, default: int) -> int:
        value = self.data.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_arguments") from exc

    def structure(self, key: str, error: str) -> Any:
        value = self.data.get(key)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                raise SlackError(error) from exc
        return value

    def csv(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(item).strip() for item in items if str(item).strip()]


def _parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return {}, {}
    delimiter = b"--" + match.group(1).encode()
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in raw.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part.removeprefix(b"\r\n")
        head, _, body = part.partition(b"\r\n\r\n")
        body = body.removesuffix(b"\r\n")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                disposition = line
        name_match = re.search(r'\bname="([^"]*)"', disposition)
        name = name_match.group(1) if name_match else f"part{len(fields) + len(files)}"
        if "filename=" in disposition:
            files[name] = body
        else:
            fields[name] = body.decode("utf-8", "replace")
    return fields, files


def _parse_body(content_type: str, raw: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    if not raw:
        return {}, {}
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise SlackError("invalid_json") from exc
        return (data if isinstance(data, dict) else {}), {}
    if ctype == "multipart/form-data":
        fields, files = _parse_multipart(content_type, raw)
        return dict(fields), files
    return dict(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True)), {}


def _ts_key(ts: str) -> int:
    seconds, _, micros = ts.partition(".")
    try:
        return int(seconds) * 1_000_000 + int((micros or "0").ljust(6, "0")[:6])
    except ValueError:
        return -1


def _random_id(length: int = 5) -> str:
    return "".join(_ids_rng.choices(_ID_ALPHABET, k=length))


def _tz_details(tz: str, now: float) -> tuple[str, int]:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return tz, 0
    moment = datetime.fromtimestamp(now, zone)
    offset = moment.utcoffset()
    return moment.tzname() or tz, int(offset.total_seconds()) if offset else 0


def channel_name_error(name: str) -> str | None:
    """Return Slack's error code for an invalid channel name, or None when it is valid."""
    if not name:
        return "invalid_name_required"
    if len(name) > CHANNEL_NAME_LIMIT:
        return "invalid_name_maxlength"
    for char in name:
        # Slack accepts letters of any script as long as they are not upper case.
        if not (char in "-_" or char.isdigit() or (char.isalpha() and not char.isupper())):
            return "invalid_name_specials"
    if all(char in "-_" for char in name):
        return "invalid_name_punctuation"
    return None


# ---------------------------------------------------------------------------
# The HTTP server
# ---------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: SlackEmulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away before its answer was written (a worker killed with
        # SIGKILL in the middle of a call) is what the tests simulate, not an emulator fault.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # Quiet on purpose: a test run should not print one line per Web API call.
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        emulator = cast(_Server, self.server).emulator
        status, out_headers, body = emulator.handle_http(self.command, self.path, headers, raw)
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _json_reply(
    status: int, payload: dict[str, Any], **headers: str
) -> tuple[int, dict[str, str], bytes]:
    out = {"Content-Type": "application/json; charset=utf-8", **headers}
    return status, out, json.dumps(payload).encode("utf-8")


# ---------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------

ApiMethod = Callable[[_Args], dict[str, Any]]


class SlackEmulator:
    """A loopback Slack Web API with Slack's rules, recorded calls and fault injection."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_token: str = "xoxb-test-token",
        bot_user_id: str = "UBOT",
        team_id: str = "T0001",
        *,
        bot_name: str = "firefighter",
        bot_id: str = "B0001",
        app_id: str = "A0001",
        team_domain: str = "emulated",
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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0
        self._last_ts = 0
        self._users: dict[str, User] = {}
        self._usergroups: dict[str, Usergroup] = {}
        self._channels: dict[str, Channel] = {}
        self._files: dict[str, UploadedFile] = {}
        self._views: dict[str, View] = {}
        self._view_stacks: dict[str, list[str]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseTarget] = {}
        self._responses: list[ResponsePost] = []
        self._ephemerals: list[Message] = []
        self._pin_info: dict[tuple[str, str], tuple[str, float]] = {}
        self._calls: list[Call] = []
        self._log: list[TranscriptEntry] = []
        self._faults = FaultConfig()
        self._fault_rng = random.Random()
        self._faults_injected = 0
        self._forced: dict[str, list[str]] = {}
        self._methods: dict[str, ApiMethod] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "conversations.create": self._conversations_create,
            "conversations.invite": self._conversations_invite,
            "conversations.kick": self._conversations_kick,
            "conversations.setTopic": self._conversations_set_topic,
            "conversations.setPurpose": self._conversations_set_purpose,
            "conversations.archive": self._conversations_archive,
            "conversations.unarchive": self._conversations_unarchive,
            "conversations.rename": self._conversations_rename,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.members": self._conversations_members,
            "conversations.join": self._conversations_join,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "pins.add": self._pins_add,
            "pins.remove": self._pins_remove,
            "pins.list": self._pins_list,
            "bookmarks.add": self._bookmarks_add,
            "bookmarks.edit": self._bookmarks_edit,
            "bookmarks.remove": self._bookmarks_remove,
            "bookmarks.list": self._bookmarks_list,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }
        self.add_user(bot_user_id, bot_name, is_bot=True)

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> SlackEmulator:
        """Bind the loopback port and serve in a background thread."""
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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

    # -- setup helpers -----------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str = "Europe/Paris",
        *,
        real_name: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
    ) -> User:
        """Create (or replace) a workspace member."""
        user = User(
            id=user_id,
            name=name,
            real_name=real_name or name.replace(".", " ").title(),
            tz=tz,
            is_bot=is_bot,
            email=email if email is not None else f"{name}@example.com",
        )
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def add_usergroup(
        self, group_id: str, handle: str, user_ids: Iterable[str], *, name: str = ""
    ) -> Usergroup:
        """Create (or replace) a user group."""
        group = Usergroup(id=group_id, handle=handle, users=list(user_ids), name=name or handle)
        with self._lock:
            self._usergroups[group_id] = group
        return copy.deepcopy(group)

    def add_channel(
        self,
        name: str,
        is_private: bool = False,
        members: Iterable[str] = (),
        bot_member: bool = True,
        creator: str = "USLACKBOT",
    ) -> str:
        """Create a channel directly (no API call, no transcript entry) and return its id.

        Such a channel was there before the bot: someone else (`creator`) made it. Channels the
        bot makes come from `conversations.create` and name the bot as their creator.
        """
        error = channel_name_error(name)
        if error:
            raise ValueError(f"invalid channel name {name!r}: {error}")
        with self._lock:
            if self._find_channel_by_name(name) is not None:
                raise ValueError(f"channel name {name!r} is taken")
            channel = self._new_channel(name, is_private=is_private, creator=creator)
            channel.members.update(members)
            if bot_member:
                channel.members.add(self.bot_user_id)
            return channel.id

    def add_member(self, channel_id: str, user_id: str) -> None:
        """Make a user a member of a channel without any API call."""
        with self._lock:
            self._require_channel(channel_id).members.add(user_id)

    def post_user_message(
        self, channel_id: str, user_id: str, text: str, thread_ts: str | None = None
    ) -> Message:
        """Store a message written by a human (the driver turns it into an event)."""
        with self._lock:
            channel = self._require_channel(channel_id)
            if user_id not in channel.members:
                raise ValueError(f"{user_id} is not a member of {channel_id}")
            message = Message(
                ts=self._new_ts(), user=user_id, text=text, blocks=[], team=self.team_id
            )
            if thread_ts is not None:
                self._attach_reply(channel, message, thread_ts)
            self._store_message(channel, message)
            kind = "reply" if message.is_reply else "message"
            self._record(kind, channel, user_id, text, ts=message.ts)
            self._changed.notify_all()
            return copy.deepcopy(message)

    # -- fault injection ---------------------------------------------------

    def faults(
        self,
        rate_429: float = 0.0,
        rate_500: float = 0.0,
        slow_rate: float = 0.0,
        slow_seconds: float = 2.0,
        retry_after: int = 1,
        seed: int | None = None,
        methods: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> None:
        """Set failure probabilities for Web API calls; no arguments turns faults off.

        `methods` restricts faults to those Web API methods; `limit` stops after that many.
        """
        for rate in (rate_429, rate_500, slow_rate):
            if not 0.0 <= rate <= 1.0:
                raise ValueError("fault rates must be between 0 and 1")
        if rate_429 + rate_500 > 1.0:
            raise ValueError("rate_429 + rate_500 must not exceed 1")
        with self._lock:
            self._faults = FaultConfig(
                rate_429=rate_429,
                rate_500=rate_500,
                slow_rate=slow_rate,
                slow_seconds=slow_seconds,
                retry_after=retry_after,
                methods=frozenset(methods) if methods is not None else None,
                limit=limit,
            )
            self._fault_rng = random.Random(seed)
            self._faults_injected = 0

    def fail_next(self, method: str, error: str = "channel_not_found", times: int = 1) -> None:
        """Make the next `times` calls to `method` answer `{"ok": false, "error": error}`."""
        with self._lock:
            self._forced.setdefault(method, []).extend([error] * times)

    def _draw_fault(self, method: str) -> str | None:
        config = self._faults
        if config.methods is not None and method not in config.methods:
            return None
        if config.limit is not None and self._faults_injected >= config.limit:
            return None
        fault = self._roll_fault(config)
        if fault is not None:
            self._faults_injected += 1
        return fault

    def _roll_fault(self, config: FaultConfig) -> str | None:
        if config.rate_429 or config.rate_500:
            roll = self._fault_rng.random()
            if roll < config.rate_429:
                return "ratelimited"
            if roll < config.rate_429 + config.rate_500:
                return "server_error"
        if config.slow_rate and self._fault_rng.random() < config.slow_rate:
            return "slow"
        return None

    # -- read helpers ------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every Web API call so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The calls made to one Web API method."""
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def clear_calls(self) -> None:
        """Forget recorded calls (state is kept)."""
        with self._lock:
            self._calls.clear()

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

    def user(self, user_id: str) -> User | None:
        """A snapshot of a user, or None."""
        with self._lock:
            user = self._users.get(user_id)
            return copy.deepcopy(user) if user is not None else None

    def messages(self, channel_id: str, include_replies: bool = False) -> list[Message]:
        """Messages of a channel in chronological order (thread replies only if asked)."""
        with self._lock:
            channel = self._require_channel(channel_id)
            return [
                copy.deepcopy(m)
                for m in channel.messages
                if include_replies or not m.is_reply or m.reply_broadcast
            ]

    def replies(self, channel_id: str, thread_ts: str) -> list[Message]:
        """Replies in a thread, oldest first (the parent excluded)."""
        with self._lock:
            channel = self._require_channel(channel_id)
            return [
                copy.deepcopy(m)
                for m in channel.messages
                if m.is_reply and m.thread_ts == thread_ts
            ]

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        """A snapshot of a channel message or ephemeral message with that ts, or None."""
        with self._lock:
            channel = self._channels.get(channel_id)
            if channel is not None:
                for message in channel.messages:
                    if message.ts == ts:
                        return copy.deepcopy(message)
            for message in self._ephemerals:
                if message.ts == ts and message.channel_id == channel_id:
                    return copy.deepcopy(message)
            return None

    def ephemerals(self, user_id: str | None = None) -> list[Message]:
        """Ephemeral messages (chat.postEphemeral and response_url), optionally for one user."""
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._ephemerals
                if user_id is None or m.ephemeral_for == user_id
            ]

    @property
    def responses(self) -> list[ResponsePost]:
        """Every response_url POST and slash command reply, oldest first."""
        with self._lock:
            return copy.deepcopy(self._responses)

    @property
    def views(self) -> list[View]:
        """Every view opened, pushed or published, oldest first, with its current state."""
        with self._lock:
            return copy.deepcopy(sorted(self._views.values(), key=lambda v: v.opened_at))

    def view(self, view_id: str) -> View | None:
        """A snapshot of a view, or None."""
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def current_view(self, user_id: str) -> View | None:
        """The modal the user currently sees (top of their stack), or None."""
        with self._lock:
            stack = self._view_stacks.get(user_id) or []
            return copy.deepcopy(self._views[stack[-1]]) if stack else None

    def latest_view(self, user_id: str) -> View | None:
        """The user's visible modal, else the one most recently opened or updated for them."""
        with self._lock:
            current = self.current_view(user_id)
            if current is not None:
                return current
            mine = [
                v
                for v in self._views.values()
                if v.user_id == user_id and v.view.get("type") == "modal"
            ]
            if not mine:
                return None
            return copy.deepcopy(max(mine, key=lambda v: v.updated_at))

    @property
    def uploaded_files(self) -> list[UploadedFile]:
        """Every file whose bytes were uploaded, oldest first."""
        with self._lock:
            return copy.deepcopy([f for f in self._files.values() if f.uploaded])

    def transcript(self) -> list[TranscriptEntry]:
        """Everything visible that happened, in order."""
        with self._lock:
            return copy.deepcopy(self._log)

    def format_transcript(self) -> str:
        """The transcript as human-readable lines (for `make demo`)."""
        lines: list[str] = []
        for entry in self.transcript():
            clock = time.strftime("%H:%M:%S", time.localtime(entry.at))
            where = entry.channel_name or entry.channel_id or "-"
            if entry.channel_name and not entry.channel_name.startswith("@"):
                where = f"#{entry.channel_name}"
            rendered = blocks_text(entry.blocks)
            body = rendered or entry.text
            if entry.text and rendered and entry.text not in rendered:
                # Blocks holding only buttons would otherwise hide what the message says.
                body = f"{entry.text}\n{rendered}"
            audience = f" (only visible to {entry.audience})" if entry.audience else ""
            first, *rest = body.split("\n")
            lines.append(f"{clock} {where:<28} {entry.kind:<15} {entry.author}{audience}: {first}")
            lines.extend(f"{'':>{9 + 28 + 1 + 15}} {line}" for line in rest)
        return "\n".join(lines)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Block until `predicate()` is truthy (re-checked on every state change); return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                self._changed.wait(min(remaining, 0.1))

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least `count` calls to `method` were made; return them."""
        return self.wait_for(
            lambda: calls if len(calls := self.calls_to(method)) >= count else [], timeout
        )

    # -- hooks used by SlackDriver ----------------------------------------

    def issue_trigger_id(self, user_id: str) -> str:
        """Register a fresh trigger_id for a user (valid once, for `trigger_ttl` seconds)."""
        with self._lock:
            self._counter += 1
            trigger_id = (
                f"{int(time.time())}{self._counter:04d}.{self.team_id[1:]}.{secrets.token_hex(16)}"
            )
            self._triggers[trigger_id] = _Trigger(user_id=user_id, issued=time.monotonic())
            return trigger_id

    def issue_response_url(
        self,
        channel_id: str | None,
        user_id: str,
        *,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
    ) -> str:
        """Register a response_url bound to a channel/user and optionally a source message."""
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._response_urls[token] = _ResponseTarget(
                channel_id=channel_id,
                user_id=user_id,
                message_ts=message_ts,
                is_ephemeral=is_ephemeral,
                created=time.time(),
            )
        return f"{self.base_url}/respond/{token}"

    def deliver_response(
        self, response_url: str, payload: dict[str, Any], *, count_use: bool = True
    ) -> tuple[int, dict[str, Any]]:
        """Apply a response_url payload as Slack would; returns (HTTP status, JSON body)."""
        token = response_url.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            status, body = self._respond(response_url, token, payload, count_use)
            self._changed.notify_all()
            return status, body

    def apply_view_submission_response(self, view_id: str, response: dict[str, Any] | None) -> None:
        """Update modal state from the bot's answer to a view_submission."""
        with self._lock:
            view = self._views.get(view_id)
            if view is None:
                return
            stack = self._view_stacks.setdefault(view.user_id, [])
            action = (response or {}).get("response_action")
            if action == "errors":
                errors = (response or {}).get("errors") or {}
                view.errors = {str(k): str(v) for k, v in errors.items()}
            elif action == "update":
                self._replace_view(view, (response or {}).get("view") or {})
                view.errors = {}
            elif action == "push":
                self._create_view(view.user_id, (response or {}).get("view") or {}, push_on=view)
            elif action == "clear":
                for vid in stack:
                    self._views[vid].closed = True
                stack.clear()
            else:
                view.closed = True
                view.errors = {}
                if view.id in stack:
                    stack.remove(view.id)
            self._changed.notify_all()

    def note_user_action(self, kind: str, channel_id: str | None, user_id: str, text: str) -> None:
        """Add what a user did (command, click, submit...) to the transcript."""
        with self._lock:
            channel = self._channels.get(channel_id or "")
            self._record(kind, channel, user_id, text)

    def mark_view_closed(self, view_id: str) -> None:
        """Record that the user dismissed a modal."""
        with self._lock:
            view = self._views.get(view_id)
            if view is None:
                return
            view.closed = True
            stack = self._view_stacks.get(view.user_id) or []
            if view.id in stack:
                stack.remove(view.id)
            self._changed.notify_all()

    # -- HTTP entry point --------------------------------------------------

    def handle_http(
        self, verb: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Route one HTTP request (headers lower-cased); returns status, headers, body."""
        parts = urllib.parse.urlsplit(path)
        route = parts.path
        if route.startswith("/api/"):
            return self._handle_api(route[len("/api/") :], parts.query, headers, raw)
        if route.startswith("/upload/") and verb == "POST":
            return self._handle_upload(route[len("/upload/") :], headers, raw)
        if route.startswith("/respond/") and verb == "POST":
            return self._handle_respond(route, headers, raw)
        if route.startswith("/files/") and verb == "GET":
            return self._handle_download(route[len("/files/") :])
        return 404, {"Content-Type": "text/plain"}, b"Not Found"

    def _handle_api(
        self, method: str, query: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        args: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        started = time.time()
        try:
            body_args, _files = _parse_body(headers.get("content-type", ""), raw)
        except SlackError as exc:
            return self._finish(method, args, started, 200, {"ok": False, "error": exc.error}, None)
        args.update(body_args)
        token = args.pop("token", None)
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[len("bearer ") :].strip()
        handler = self._methods.get(method)
        if handler is None:
            return self._finish(
                method, args, started, 200, {"ok": False, "error": "unknown_method"}, None
            )
        with self._lock:
            fault = self._draw_fault(method)
            config = self._faults
        if fault == "ratelimited":
            # Answered before any state is touched, so a retry is the first real effect.
            return self._finish(
                method,
                args,
                started,
                429,
                {"ok": False, "error": "ratelimited"},
                fault,
                {"Retry-After": str(config.retry_after)},
            )
        if fault == "server_error":
            return self._finish(
                method, args, started, 500, {"ok": False, "error": "internal_error"}, fault
            )
        if fault == "slow":
            time.sleep(config.slow_seconds)
        if not token:
            return self._finish(
                method, args, started, 200, {"ok": False, "error": "not_authed"}, fault
            )
        if token != self.bot_token:
            return self._finish(
                method, args, started, 200, {"ok": False, "error": "invalid_auth"}, fault
            )
        with self._lock:
            forced = self._forced.get(method)
            if forced:
                error = forced.pop(0)
                return self._finish(
                    method, args, started, 200, {"ok": False, "error": error}, "forced"
                )
            try:
                response: dict[str, Any] = {"ok": True, **handler(_Args(dict(args)))}
            except SlackError as exc:
                response = {"ok": False, "error": exc.error, **exc.extra}
            return self._finish(method, args, started, 200, response, fault)

    def _finish(
        self,
        method: str,
        args: dict[str, Any],
        at: float,
        status: int,
        response: dict[str, Any],
        fault: str | None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self._calls.append(
                Call(method=method, args=args, at=at, response=response, status=status, fault=fault)
            )
            self._changed.notify_all()
        return _json_reply(status, response, **(headers or {}))

    def _handle_upload(
        self, file_id: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        content = raw
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            fields, files = _parse_multipart(headers["content-type"], raw)
            if files:
                content = next(iter(files.values()))
            elif fields:
                content = next(iter(fields.values())).encode("utf-8")
        with self._lock:
            record = self._files.get(file_id.strip("/"))
            if record is None or record.completed:
                return 404, {"Content-Type": "text/plain"}, b"file_not_found"
            record.content = content
            record.uploaded = True
            self._changed.notify_all()
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, f"OK - {len(content)}".encode()

    def _handle_respond(
        self, route: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            payload, _ = _parse_body(headers.get("content-type", "application/json"), raw)
        except SlackError:
            return _json_reply(400, {"ok": False, "error": "invalid_payload"})
        if "payload" in payload and isinstance(payload["payload"], str):
            try:
                payload = json.loads(payload["payload"])
            except ValueError:
                return _json_reply(400, {"ok": False, "error": "invalid_payload"})
        status, body = self.deliver_response(f"{self.base_url}{route}", payload)
        return _json_reply(status, body)

    def _handle_download(self, rest: str) -> tuple[int, dict[str, str], bytes]:
        file_id = rest.split("/", 1)[0]
        with self._lock:
            record = self._files.get(file_id)
            if record is None or not record.uploaded:
                return 404, {"Content-Type": "text/plain"}, b"Not Found"
            return 200, {"Content-Type": record.mimetype}, record.content

    # -- internal state helpers -------------------------------------------

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

    def _user_obj(self, user: User) -> dict[str, Any]:
        tz_label, tz_offset = _tz_details(user.tz, time.time())
        first, _, last = user.real_name.partition(" ")
        profile: dict[str, Any] = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "first_name": first,
            "last_name": last,
            "email": user.email,
            "team": self.team_id,
            "image_48": f"https://avatars.{self.team_domain}.slack.com/{user.id}_48.png",
            "image_72": f"https://avatars.{self.team_domain}.slack.com/{user.id}_72.png",
        }
        if user.is_bot:
            profile["bot_id"] = self.bot_id if user.id == self.bot_user_id else f"B{user.id[1:]}"
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "deleted": False,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }

    def _page(
        self, items: list[T], args: _Args, default_limit: int, max_limit: int = 1000
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

    def _content(
        self, args: _Args, *, require: bool = True
    ) -> tuple[str | None, list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
        text = args.text("text") if args.has("text") else None
        blocks = args.structure("blocks", "invalid_blocks_format") if args.has("blocks") else None
        attachments = (
            args.structure("attachments", "invalid_attachments")
            if args.has("attachments")
            else None
        )
        if blocks is not None and not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        if attachments is not None and not isinstance(attachments, list):
            raise SlackError("invalid_attachments")
        if require and not text and not blocks and not attachments:
            raise SlackError("no_text")
        if text is not None and len(text) > MESSAGE_TEXT_LIMIT:
            raise SlackError("msg_too_long")
        if blocks:
            errors = validate_blocks(blocks)
            if errors:
                raise SlackError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
        return text, blocks, attachments

    @staticmethod
    def _fill_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Slack assigns block_id/action_id when the app leaves them out.
        filled = copy.deepcopy(blocks)
        for block in filled:
            if isinstance(block, dict):
                block.setdefault("block_id", _random_id())
                elements: list[Any] = (
                    list(block.get("elements") or []) if block.get("type") == "actions" else []
                )
                elements += [
                    block[key]
                    for key in ("accessory", "element")
                    if isinstance(block.get(key), dict)
                ]
                for element in elements:
                    if isinstance(element, dict) and element.get("type") not in ("image",):
                        element.setdefault("action_id", _random_id())
        return filled

    # -- Web API: auth/team ------------------------------------------------

    def _api_test(self, args: _Args) -> dict[str, Any]:
        return {"args": {k: v for k, v in args.data.items() if k != "token"}}

    def _auth_test(self, args: _Args) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain.title(),
            "user": self._user_name(self.bot_user_id),
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _team_info(self, args: _Args) -> dict[str, Any]:
        return {
            "team": {
                "id": self.team_id,
                "name": self.team_domain.title(),
                "domain": self.team_domain,
                "email_domain": "example.com",
                "icon": {},
            }
        }

    # -- Web API: conversations -------------------------------------------

    def _conversations_create(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_invite(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_kick(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_set_topic(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_set_purpose(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_archive(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_unarchive(self, args: _Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        if not channel.is_archived:
            raise SlackError("not_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        channel.is_archived = False
        self._record("unarchive", channel, self.bot_user_id, f"unarchived #{channel.name}")
        return {}

    def _conversations_rename(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_info(self, args: _Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        return {"channel": self._channel_obj(channel, num_members=args.flag("include_num_members"))}

    def _conversations_list(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_members(self, args: _Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        page, cursor = self._page(sorted(channel.members), args, 100)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_join(self, args: _Args) -> dict[str, Any]:
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

    def _readable_channel(self, args: _Args) -> Channel:
        channel = self._visible_channel(args.text("channel"))
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _conversations_history(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_replies(self, args: _Args) -> dict[str, Any]:
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

    def _conversations_open(self, args: _Args) -> dict[str, Any]:
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

    # -- Web API: chat -----------------------------------------------------

    def _resolve_post_channel(self, channel_ref: str) -> Channel:
        if channel_ref in self._users:
            # Posting to a user id lands in the bot's DM with that user.
            return self._open_im(channel_ref)[0]
        return self._member_channel(channel_ref)

    def _chat_post_message(self, args: _Args) -> dict[str, Any]:
        channel = self._resolve_post_channel(args.text("channel"))
        text, blocks, attachments = self._content(args)
        metadata = (
            args.structure("metadata", "invalid_metadata_format") if args.has("metadata") else None
        )
        message = Message(
            ts=self._new_ts(),
            user=self.bot_user_id,
            text=text or "",
            blocks=self._fill_ids(blocks or []),
            attachments=attachments or [],
            metadata=metadata if isinstance(metadata, dict) else None,
            team=self.team_id,
            bot_id=self.bot_id,
            app_id=self.app_id,
        )
        thread_ts = args.text("thread_ts")
        if thread_ts:
            self._attach_reply(channel, message, thread_ts)
            message.reply_broadcast = args.flag("reply_broadcast")
            if message.reply_broadcast:
                message.subtype = "thread_broadcast"
        self._store_message(channel, message)
        kind = "reply" if message.is_reply else "message"
        self._record(kind, channel, self.bot_user_id, message.text, message.blocks, ts=message.ts)
        return {"channel": channel.id, "ts": message.ts, "message": message.to_api()}

    def _updatable(self, args: _Args, error: str) -> tuple[Channel, Message]:
        channel = self._visible_channel(args.text("channel"))
        ts = args.text("ts")
        message = self._find_in_channel(channel, ts) if ts else None
        if message is None:
            raise SlackError("message_not_found")
        if message.user != self.bot_user_id:
            raise SlackError(error)
        if channel.is_archived:
            raise SlackError("is_archived")
        return channel, message

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
            message.blocks = self._fill_ids(blocks)
        if attachments is not None:
            message.attachments = attachments
        message.edited_ts = self._new_ts()

    def _chat_update(self, args: _Args) -> dict[str, Any]:
        channel, message = self._updatable(args, "cant_update_message")
        text, blocks, attachments = self._content(args, require=False)
        if text is None and blocks is None and attachments is None:
            raise SlackError("no_text")
        self._apply_edit(message, text, blocks, attachments)
        self._record(
            "update", channel, self.bot_user_id, message.text, message.blocks, ts=message.ts
        )
        return {
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": message.to_api(),
        }

    def _chat_delete(self, args: _Args) -> dict[str, Any]:
        channel, message = self._updatable(args, "cant_delete_message")
        channel.messages.remove(message)
        if message.ts in channel.pins:
            channel.pins.remove(message.ts)
        self._record(
            "delete", channel, self.bot_user_id, message.text, message.blocks, ts=message.ts
        )
        return {"channel": channel.id, "ts": message.ts}

    def _chat_post_ephemeral(self, args: _Args) -> dict[str, Any]:
        channel = self._member_channel(args.text("channel"))
        user_id = args.text("user")
        if user_id not in self._users:
            raise SlackError("user_not_found")
        if user_id not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks, attachments = self._content(args)
        message = Message(
            ts=self._new_ts(),
            user=self.bot_user_id,
            text=text or "",
            blocks=self._fill_ids(blocks or []),
            attachments=attachments or [],
            ephemeral_for=user_id,
            channel_id=channel.id,
            team=self.team_id,
            bot_id=self.bot_id,
            app_id=self.app_id,
            thread_ts=args.text("thread_ts") or None,
            posted_at=time.time(),
        )
        self._ephemerals.append(message)
        self._record(
            "ephemeral",
            channel,
            self.bot_user_id,
            message.text,
            message.blocks,
            ts=message.ts,
            audience=user_id,
        )
        return {"message_ts": message.ts}

    def _chat_get_permalink(self, args: _Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        ts = args.text("message_ts")
        message = self._find_in_channel(channel, ts) if ts else None
        if message is None:
            raise SlackError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    # -- Web API: pins and bookmarks ----------------------------------------

    def _pins_add(self, args: _Args) -> dict[str, Any]:
        channel = self._member_channel(args.text("channel"))
        ts = args.text("timestamp")
        message = self._find_in_channel(channel, ts) if ts else None
        if message is None:
            raise SlackError("message_not_found")
        if ts in channel.pins:
            raise SlackError("already_pinned")
        if len(channel.pins) >= PINS_MAX:
            raise SlackError("too_many_pins")
        channel.pins.append(ts)
        self._pin_info[(channel.id, ts)] = (self.bot_user_id, time.time())
        self._record("pin", channel, self.bot_user_id, message.text, message.blocks, ts=ts)
        return {}

    def _pins_remove(self, args: _Args) -> dict[str, Any]:
        channel = self._member_channel(args.text("channel"))
        ts = args.text("timestamp")
        if ts not in channel.pins:
            raise SlackError("no_pin")
        channel.pins.remove(ts)
        self._pin_info.pop((channel.id, ts), None)
        self._record("unpin", channel, self.bot_user_id, "", ts=ts)
        return {}

    def _pins_list(self, args: _Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        items = []
        for ts in reversed(channel.pins):
            message = self._find_in_channel(channel, ts)
            if message is None:
                continue
            by, at = self._pin_info.get((channel.id, ts), (self.bot_user_id, time.time()))
            items.append(
                {
                    "type": "message",
                    "created": int(at),
                    "created_by": by,
                    "channel": channel.id,
                    "message": message.to_api(),
                }
            )
        return {"items": items}

    def _bookmark_channel(self, args: _Args) -> Channel:
        channel = self._visible_channel(args.text("channel_id"))
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _bookmarks_add(self, args: _Args) -> dict[str, Any]:
        channel = self._bookmark_channel(args)
        title = args.required("title")
        kind = args.text("type", "link")
        if kind != "link":
            raise SlackError("invalid_bookmark_type")
        link = args.text("link")
        if not link.startswith(("http://", "https://")):
            raise SlackError("invalid_link")
        now = int(time.time())
        bookmark = {
            "id": self._next_id("Bk"),
            "channel_id": channel.id,
            "title": title,
            "link": link,
            "emoji": args.text("emoji") or None,
            "icon_url": None,
            "type": "link",
            "entity_id": args.text("entity_id") or None,
            "date_created": now,
            "date_updated": now,
            "rank": f"{len(channel.bookmarks):04d}",
            "last_updated_by_user_id": self.bot_user_id,
            "last_updated_by_team_id": self.team_id,
            "shortcut_id": None,
            "app_id": self.app_id,
        }
        channel.bookmarks.append(bookmark)
        self._record("bookmark", channel, self.bot_user_id, f"{title} <{link}>")
        return {"bookmark": copy.deepcopy(bookmark)}

    def _find_bookmark(self, channel: Channel, args: _Args) -> dict[str, Any]:
        bookmark_id = args.required("bookmark_id")
        for bookmark in channel.bookmarks:
            if bookmark["id"] == bookmark_id:
                return bookmark
        raise SlackError("not_found")

    def _bookmarks_edit(self, args: _Args) -> dict[str, Any]:
        channel = self._bookmark_channel(args)
        bookmark = self._find_bookmark(channel, args)
        link = args.text("link") if args.has("link") else None
        if link is not None and not link.startswith(("http://", "https://")):
            raise SlackError("invalid_link")
        if args.has("title"):
            bookmark["title"] = args.text("title")
        if link is not None:
            bookmark["link"] = link
        if args.has("emoji"):
            bookmark["emoji"] = args.text("emoji") or None
        bookmark["date_updated"] = int(time.time())
        self._record(
            "bookmark",
            channel,
            self.bot_user_id,
            f"edited: {bookmark['title']} <{bookmark['link']}>",
        )
        return {"bookmark": copy.deepcopy(bookmark)}

    def _bookmarks_remove(self, args: _Args) -> dict[str, Any]:
        channel = self._bookmark_channel(args)
        bookmark = self._find_bookmark(channel, args)
        channel.bookmarks.remove(bookmark)
        self._record("bookmark", channel, self.bot_user_id, f"removed: {bookmark['title']}")
        return {}

    def _bookmarks_list(self, args: _Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel_id"))
        return {"bookmarks": copy.deepcopy(channel.bookmarks)}

    # -- Web API: views ----------------------------------------------------

    def _consume_trigger(self, args: _Args) -> str:
        trigger_id = args.text("trigger_id")
        trigger = self._triggers.get(trigger_id) if trigger_id else None
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        return trigger.user_id

    def _view_payload(self, args: _Args, kind: str = "modal") -> dict[str, Any]:
        view = args.structure("view", "invalid_arguments")
        errors = validate_view(view, kind=kind)
        if errors:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        external_id = view.get("external_id")
        if external_id:
            for existing in self._views.values():
                if existing.external_id == external_id and existing.user_id:
                    raise SlackError("duplicate_external_id")
        return cast(dict[str, Any], view)

    def _render_view(
        self, view_id: str, payload: dict[str, Any], root: str, previous: str | None
    ) -> dict[str, Any]:
        blocks = self._fill_ids(payload.get("blocks") or [])
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": payload.get("type", "modal"),
            "blocks": blocks,
            "private_metadata": payload.get("private_metadata", ""),
            "callback_id": payload.get("callback_id", ""),
            "state": {"values": {}},
            "hash": "",
            "title": payload.get("title"),
            "clear_on_close": bool(payload.get("clear_on_close", False)),
            "notify_on_close": bool(payload.get("notify_on_close", False)),
            "close": payload.get("close"),
            "submit": payload.get("submit"),
            "previous_view_id": previous,
            "root_view_id": root,
            "app_id": self.app_id,
            "external_id": payload.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def _create_view(
        self, user_id: str, payload: dict[str, Any], *, push_on: View | None = None
    ) -> View:
        view_id = self._next_id("V")
        root = push_on.root_view_id if push_on is not None else view_id
        previous = push_on.id if push_on is not None else None
        rendered = self._render_view(view_id, payload, root, previous)
        now = time.time()
        view = View(
            id=view_id,
            user_id=user_id,
            view=rendered,
            hash=self._new_hash(),
            external_id=str(payload.get("external_id") or ""),
            root_view_id=root,
            previous_view_id=previous,
            opened_at=now,
            updated_at=now,
        )
        view.view["hash"] = view.hash
        self._views[view_id] = view
        stack = self._view_stacks.setdefault(user_id, [])
        if push_on is None:
            for old in stack:
                self._views[old].closed = True
            stack.clear()
        stack.append(view_id)
        kind = "view_pushed" if push_on is not None else "view_opened"
        self._record(kind, None, self.bot_user_id, view.title, rendered["blocks"], audience=user_id)
        return view

    def _replace_view(self, view: View, payload: dict[str, Any]) -> None:
        view.history.append(copy.deepcopy(view.view))
        view.view = self._render_view(view.id, payload, view.root_view_id, view.previous_view_id)
        view.external_id = str(payload.get("external_id") or view.external_id)
        view.hash = self._new_hash()
        view.view["hash"] = view.hash
        view.updated_at = time.time()
        self._record(
            "view_updated",
            None,
            self.bot_user_id,
            view.title,
            view.view["blocks"],
            audience=view.user_id,
        )

    def _views_open(self, args: _Args) -> dict[str, Any]:
        user_id = self._consume_trigger(args)
        payload = self._view_payload(args)
        self._triggers[args.text("trigger_id")].used = True
        view = self._create_view(user_id, payload)
        return {"view": copy.deepcopy(view.view)}

    def _views_push(self, args: _Args) -> dict[str, Any]:
        user_id = self._consume_trigger(args)
        payload = self._view_payload(args)
        stack = self._view_stacks.get(user_id) or []
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= VIEW_STACK_MAX:
            raise SlackError("push_limit_reached")
        self._triggers[args.text("trigger_id")].used = True
        view = self._create_view(user_id, payload, push_on=self._views[stack[-1]])
        return {"view": copy.deepcopy(view.view)}

    def _views_update(self, args: _Args) -> dict[str, Any]:
        view_id = args.text("view_id")
        external_id = args.text("external_id")
        if not view_id and not external_id:
            raise SlackError("invalid_arguments")
        found = self._views.get(view_id) if view_id else None
        if found is None and external_id:
            found = next((v for v in self._views.values() if v.external_id == external_id), None)
        if found is None:
            raise SlackError("not_found")
        view_arg = args.structure("view", "invalid_arguments")
        errors = validate_view(view_arg, kind=str(found.view.get("type") or "modal"))
        if errors:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        expected = args.text("hash")
        if expected and expected != found.hash:
            raise SlackError("hash_conflict")
        self._replace_view(found, cast(dict[str, Any], view_arg))
        return {"view": copy.deepcopy(found.view)}

    def _views_publish(self, args: _Args) -> dict[str, Any]:
        user_id = args.required("user_id")
        if user_id not in self._users:
            raise SlackError("user_not_found")
        payload = self._view_payload(args, kind="home")
        existing = next(
            (
                v
                for v in self._views.values()
                if v.user_id == user_id and v.view.get("type") == "home"
            ),
            None,
        )
        if existing is not None:
            expected = args.text("hash")
            if expected and expected != existing.hash:
                raise SlackError("hash_conflict")
            self._replace_view(existing, payload)
            return {"view": copy.deepcopy(existing.view)}
        view_id = self._next_id("V")
        now = time.time()
        view = View(
            id=view_id,
            user_id=user_id,
            view=self._render_view(view_id, payload, view_id, None),
            hash=self._new_hash(),
            external_id="",
            root_view_id=view_id,
            previous_view_id=None,
            opened_at=now,
            updated_at=now,
        )
        view.view["hash"] = view.hash
        self._views[view_id] = view
        return {"view": copy.deepcopy(view.view)}

    # -- Web API: users and groups ----------------------------------------

    def _users_info(self, args: _Args) -> dict[str, Any]:
        user = self._users.get(args.text("user"))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self._user_obj(user)}

    def _users_list(self, args: _Args) -> dict[str, Any]:
        page, cursor = self._page(list(self._users.values()), args, 200)
        return {
            "members": [self._user_obj(u) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }

    def _users_lookup_by_email(self, args: _Args) -> dict[str, Any]:
        email = args.text("email").lower()
        for user in self._users.values():
            if user.email.lower() == email and email:
                return {"user": self._user_obj(user)}
        raise SlackError("users_not_found")

    def _usergroup_obj(self, group: Usergroup, include_users: bool) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": group.id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": group.name,
            "description": "",
            "handle": group.handle,
            "is_external": False,
            "date_create": 0,
            "date_update": 0,
            "date_delete": 0,
            "auto_type": None,
            "created_by": self.bot_user_id,
            "updated_by": self.bot_user_id,
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(group.users),
        }
        if include_users:
            obj["users"] = list(group.users)
        return obj

    def _usergroups_list(self, args: _Args) -> dict[str, Any]:
        include = args.flag("include_users")
        return {"usergroups": [self._usergroup_obj(g, include) for g in self._usergroups.values()]}

    def _usergroups_users_list(self, args: _Args) -> dict[str, Any]:
        group = self._usergroups.get(args.text("usergroup"))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group.users)}

    # -- Web API: files ----------------------------------------------------

    def _file_obj(self, record: UploadedFile) -> dict[str, Any]:
        base = self.base_url
        public: dict[str, list[dict[str, Any]]] = {}
        private: dict[str, list[dict[str, Any]]] = {}
        for channel_id, stamps in record.shares.items():
            channel = self._channels.get(channel_id)
            target = private if channel is not None and channel.is_private else public
            target[channel_id] = [
                {
                    "ts": ts,
                    "channel_name": channel.name if channel else "",
                    "team_id": self.team_id,
                    "share_user_id": record.user,
                }
                for ts in stamps
            ]
        shares: dict[str, Any] = {}
        if public:
            shares["public"] = public
        if private:
            shares["private"] = private
        channels = [
            c
            for c in record.channels
            if (ch := self._channels.get(c)) is not None and not ch.is_private
        ]
        groups = [
            c
            for c in record.channels
            if (ch := self._channels.get(c)) is not None and ch.is_private and not ch.is_im
        ]
        ims = [c for c in record.channels if (ch := self._channels.get(c)) is not None and ch.is_im]
        extension = record.name.rsplit(".", 1)[-1].lower() if "." in record.name else "binary"
        download = f"{base}/files/{record.id}/{urllib.parse.quote(record.name)}"
        return {
            "id": record.id,
            "created": int(record.created),
            "timestamp": int(record.created),
            "name": record.name,
            "title": record.title,
            "mimetype": record.mimetype,
            "filetype": extension,
            "pretty_type": extension.upper(),
            "user": record.user,
            "user_team": self.team_id,
            "editable": False,
            "size": len(record.content) if record.uploaded else record.length,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(channels),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": download,
            "url_private_download": f"{download}?download=1",
            "permalink": f"https://{self.team_domain}.slack.com/files/{record.user}/{record.id}/{record.name}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{record.id}",
            "alt_txt": record.alt_txt or None,
            "channels": channels,
            "groups": groups,
            "ims": ims,
            "shares": shares,
            "comments_count": 0,
            "has_rich_preview": False,
            "file_access": "visible",
        }

    def _files_get_upload_url(self, args: _Args) -> dict[str, Any]:
        filename = args.required("filename")
        length = args.integer("length", -1)
        if length < 0:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: length"]},
            )
        record = UploadedFile(
            id=self._next_id("F"),
            name=filename,
            title=filename,
            length=length,
            user=self.bot_user_id,
            created=time.time(),
            alt_txt=args.text("alt_txt"),
        )
        self._files[record.id] = record
        return {"upload_url": f"{self.base_url}/upload/{record.id}", "file_id": record.id}

    def _files_complete_upload(self, args: _Args) -> dict[str, Any]:
        entries = args.structure("files", "invalid_arguments")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        records: list[tuple[UploadedFile, str]] = []
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("id"):
                raise SlackError("invalid_arguments")
            record = self._files.get(str(entry["id"]))
            if record is None or not record.uploaded or record.completed:
                raise SlackError("file_not_found")
            records.append((record, str(entry.get("title") or record.name)))
        targets = args.csv("channel_id") or args.csv("channels")
        channels = [self._member_channel(c) for c in targets]
        thread_ts = args.text("thread_ts")
        comment = args.text("initial_comment")
        if thread_ts and channels:
            for channel in channels:
                if self._find_in_channel(channel, thread_ts) is None:
                    raise SlackError("thread_not_found")
        # Everything is validated before this point, so a refused call changes nothing.
        for record, title in records:
            record.title = title
            record.completed = True
        for channel in channels:
            message = Message(
                ts=self._new_ts(),
                user=self.bot_user_id,
                text=comment,
                blocks=[],
                team=self.team_id,
                bot_id=None,
                app_id=None,
            )
            if thread_ts:
                self._attach_reply(channel, message, thread_ts)
            for record, _ in records:
                record.channels.append(channel.id)
                record.shares.setdefault(channel.id, []).append(message.ts)
            message.files = [self._file_obj(record) for record, _ in records]
            self._store_message(channel, message)
            for record, _ in records:
                self._record(
                    "file",
                    channel,
                    self.bot_user_id,
                    f"{record.title} ({record.name}, {len(record.content)} bytes)"
                    + (f" - {comment}" if comment else ""),
                    ts=message.ts,
                )
        return {"files": [self._file_obj(record) for record, _ in records]}

    def _files_info(self, args: _Args) -> dict[str, Any]:
        record = self._files.get(args.text("file"))
        if record is None or not record.completed:
            raise SlackError("file_not_found")
        return {
            "file": self._file_obj(record),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    # -- response_url ------------------------------------------------------

    def _respond(
        self, url: str, token: str, payload: dict[str, Any], count_use: bool
    ) -> tuple[int, dict[str, Any]]:
        target = self._response_urls.get(token)
        if target is None:
            return 404, {"ok": False, "error": "invalid_token"}
        if time.time() - target.created > RESPONSE_URL_LIFETIME:
            return 404, {"ok": False, "error": "expired_url"}
        if count_use and target.uses >= self.response_url_max_uses:
            return 404, {"ok": False, "error": "used_url"}
        delete = bool(payload.get("delete_original"))
        replace = bool(payload.get("replace_original"))
        text = payload.get("text")
        blocks = payload.get("blocks")
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return 400, {"ok": False, "error": "invalid_blocks_format"}
        if not delete and not text and not blocks and not payload.get("attachments"):
            return 400, {"ok": False, "error": "no_text"}
        if blocks:
            errors = validate_blocks(blocks)
            if errors:
                return 400, {"ok": False, "error": "invalid_blocks", "errors": errors}
        if count_use:
            target.uses += 1
        channel = self._channels.get(target.channel_id or "")
        source = self._source_message(target)
        response_type = str(payload.get("response_type") or "ephemeral")
        text_value = str(text or "")
        block_list: list[dict[str, Any]] | None = blocks if isinstance(blocks, list) else None
        message_ts: str | None
        if delete and source is not None:
            action = "delete"
            message_ts = source.ts
            self._remove_message(source)
            self._record(
                "delete", channel, self.bot_user_id, source.text, source.blocks, ts=source.ts
            )
        elif replace and source is not None:
            action = "replace"
            message_ts = source.ts
            # A response_url replacement is a whole new message, unlike chat.update.
            self._apply_edit(source, text_value, block_list or [], [])
            audience = source.ephemeral_for
            kind = "ephemeral" if audience else "update"
            self._record(
                kind,
                channel,
                self.bot_user_id,
                source.text,
                source.blocks,
                ts=source.ts,
                audience=audience,
            )
        elif delete:
            action, message_ts = "delete", None
        elif response_type == "in_channel" and channel is not None:
            action = "in_channel"
            message = Message(
                ts=self._new_ts(),
                user=self.bot_user_id,
                text=text_value,
                blocks=self._fill_ids(block_list or []),
                team=self.team_id,
                bot_id=self.bot_id,
                app_id=self.app_id,
                response_type="in_channel",
            )
            thread_ts = payload.get("thread_ts")
            if thread_ts:
                try:
                    self._attach_reply(channel, message, str(thread_ts))
                except SlackError:
                    return 404, {"ok": False, "error": "thread_not_found"}
            self._store_message(channel, message)
            message_ts = message.ts
            kind = "reply" if message.is_reply else "message"
            self._record(
                kind, channel, self.bot_user_id, message.text, message.blocks, ts=message.ts
            )
        else:
            action = "ephemeral"
            message = Message(
                ts=self._new_ts(),
                user=self.bot_user_id,
                text=text_value,
                blocks=self._fill_ids(block_list or []),
                ephemeral_for=target.user_id,
                channel_id=target.channel_id or "",
                team=self.team_id,
                bot_id=self.bot_id,
                app_id=self.app_id,
                response_type="ephemeral",
                posted_at=time.time(),
            )
            self._ephemerals.append(message)
            message_ts = message.ts
            self._record(
                "ephemeral",
                channel,
                self.bot_user_id,
                message.text,
                message.blocks,
                ts=message.ts,
                audience=target.user_id,
            )
        self._responses.append(
            ResponsePost(
                at=time.time(),
                url=url,
                channel_id=target.channel_id,
                user_id=target.user_id,
                payload=copy.deepcopy(payload),
                action=action,
                message_ts=message_ts,
                status=200,
            )
        )
        return 200, {"ok": True}

    def _source_message(self, target: _ResponseTarget) -> Message | None:
        if target.message_ts is None:
            return None
        if target.is_ephemeral:
            for message in self._ephemerals:
                if message.ts == target.message_ts:
                    return message
            return None
        channel = self._channels.get(target.channel_id or "")
        return self._find_in_channel(channel, target.message_ts) if channel is not None else None

    def _remove_message(self, message: Message) -> None:
        # Identity, not equality: two stored messages may hold equal fields.
        self._ephemerals = [m for m in self._ephemerals if m is not message]
        channel = self._channels.get(message.channel_id)
        if channel is not None:
            channel.messages = [m for m in channel.messages if m is not message]
