"""Which OAuth scopes a bot token needs for each Web API method, as Slack's reference says.

Slack answers `{"ok": false, "error": "missing_scope", "needed": …, "provided": …}` when the
app was not granted the scope a call needs. Methods on conversations need the scope of the
conversation's type: `channels:*` for public channels, `groups:*` for private ones, `im:*`
for direct messages, `mpim:*` for group DMs. Methods absent from the table need no scope
(`auth.test`, `views.*`, `chat.getPermalink`); a method the emulator serves but the table
forgets is a test failure (see tests/emulators), not a free pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml

from firefighter.emulators.slack.state import EmulatorState

Kind = Literal["public", "private", "im", "mpim"]

# Per conversation type: public, private, im, mpim (Slack's "channels", "groups", "im", "mpim").
_READ = ("channels:read", "groups:read", "im:read", "mpim:read")
_HISTORY = ("channels:history", "groups:history", "im:history", "mpim:history")
# Managing a conversation: Slack lists channels:manage, groups:write, im:write, mpim:write.
_MANAGE = ("channels:manage", "groups:write", "im:write", "mpim:write")

BY_CONVERSATION: dict[str, tuple[str, str, str, str]] = {
    "conversations.history": _HISTORY,
    "conversations.replies": _HISTORY,
    "conversations.info": _READ,
    "conversations.list": _READ,
    "conversations.members": _READ,
    "conversations.invite": _MANAGE,
    "conversations.kick": _MANAGE,
    "conversations.setTopic": _MANAGE,
    "conversations.setPurpose": _MANAGE,
    "conversations.archive": _MANAGE,
    "conversations.unarchive": _MANAGE,
    "conversations.rename": _MANAGE,
    "conversations.create": _MANAGE,
    "conversations.open": _MANAGE,
}
"""Methods whose scope depends on the conversation's type."""

FIXED: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.join": "channels:join",
    "pins.add": "pins:write",
    "pins.remove": "pins:write",
    "pins.list": "pins:read",
    "bookmarks.add": "bookmarks:write",
    "bookmarks.edit": "bookmarks:write",
    "bookmarks.remove": "bookmarks:write",
    "bookmarks.list": "bookmarks:read",
    "reactions.add": "reactions:write",
    "reactions.remove": "reactions:write",
    "reactions.get": "reactions:read",
    "users.info": "users:read",
    "users.list": "users:read",
    "users.lookupByEmail": "users:read.email",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.info": "files:read",
    "team.info": "team:read",
}
"""Methods that need one scope whatever the conversation."""

NONE = frozenset(
    {
        "api.test",
        "auth.test",
        "chat.getPermalink",
        "views.open",
        "views.update",
        "views.push",
        "views.publish",
        "apps.connections.open",
    }
)
"""Methods a bot token may call with no scope (apps.connections.open takes an app token)."""

_INDEX = {"public": 0, "private": 1, "im": 2, "mpim": 3}


def every_scope() -> frozenset[str]:
    """Every scope the table knows: for tests of the emulator itself, not of an app."""
    return frozenset(FIXED.values()) | {s for kinds in BY_CONVERSATION.values() for s in kinds}


def needed(method: str, kind: Kind | None) -> str | None:
    """The scope `method` needs on a conversation of `kind` (None: no scope, or unknown kind)."""
    if method in FIXED:
        return FIXED[method]
    per_kind = BY_CONVERSATION.get(method)
    if per_kind is None or kind is None:
        return None
    return per_kind[_INDEX[kind]]


def listed(method: str) -> bool:
    """Whether the table says anything about `method` (scope or explicitly none)."""
    return method in FIXED or method in BY_CONVERSATION or method in NONE


def kinds_for_list(types: str) -> list[Kind]:
    """The conversation kinds `conversations.list` was asked for (`types=`)."""
    names = {"public_channel": "public", "private_channel": "private", "im": "im", "mpim": "mpim"}
    asked = [t.strip() for t in (types or "public_channel").split(",") if t.strip()]
    return [names[t] for t in asked if t in names]  # type: ignore[misc]


def manifest_scopes(path: Path) -> frozenset[str]:
    """The bot scopes an app manifest (`oauth_config.scopes.bot`) grants."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    scopes = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
    return frozenset(str(scope) for scope in scopes)


def find_manifest(start: Iterable[Path] = ()) -> Path | None:
    """`slack-manifest.yml` in the given folders, the working folder or the project root."""
    candidates = [*start, Path.cwd(), Path(__file__).resolve().parents[3]]
    for folder in candidates:
        path = folder / "slack-manifest.yml"
        if path.is_file():
            return path
    return None


class ScopeRules(EmulatorState):
    """The emulator's side: which scopes this app was granted, and what a call needs."""

    granted: frozenset[str] | None = None
    """Scopes of the installed app; None grants everything (only when a test says so)."""

    def missing_scopes(self, method: str, args: dict[str, Any]) -> list[str]:
        """The scopes `method` with `args` needs that the app was not granted."""
        if self.granted is None:
            return []
        wanted = [scope for kind in self._kinds(method, args) if (scope := needed(method, kind))]
        if method in FIXED:
            wanted = [FIXED[method]]
        return [scope for scope in dict.fromkeys(wanted) if scope not in self.granted]

    def _kinds(self, method: str, args: dict[str, Any]) -> list[Kind | None]:
        if method == "conversations.list":
            return list(kinds_for_list(str(args.get("types") or "")))
        if method == "conversations.create":
            private = str(args.get("is_private") or "").lower() in ("1", "true")
            return ["private" if private else "public"]
        if method == "conversations.open" and not args.get("channel"):
            users = [u for u in str(args.get("users") or "").split(",") if u.strip()]
            return ["mpim" if len(users) > 1 else "im"]
        with self._lock:
            channel = self._channels.get(str(args.get("channel") or args.get("channel_id") or ""))
        if channel is None:
            # An unknown channel is the method's own error to give (channel_not_found).
            return [None]
        if channel.is_im:
            return ["im"]
        if channel.is_mpim:
            return ["mpim"]
        return ["private" if channel.is_private else "public"]
