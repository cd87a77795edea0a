"""pins.* and bookmarks.*: what a channel keeps at hand."""

from __future__ import annotations

import copy
import time
from typing import Any

from firefighter.emulators.slack.limits import PINS_MAX
from firefighter.emulators.slack.model import Channel, SlackError
from firefighter.emulators.slack.state import EmulatorState
from firefighter.emulators.slack.wire import Args


class PinsBookmarksApi(EmulatorState):
    """The pins.* and bookmarks.* Web API methods."""

    def _pins_add(self, args: Args) -> dict[str, Any]:
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

    def _pins_remove(self, args: Args) -> dict[str, Any]:
        channel = self._member_channel(args.text("channel"))
        ts = args.text("timestamp")
        if ts not in channel.pins:
            raise SlackError("no_pin")
        channel.pins.remove(ts)
        self._pin_info.pop((channel.id, ts), None)
        self._record("unpin", channel, self.bot_user_id, "", ts=ts)
        return {}

    def _pins_list(self, args: Args) -> dict[str, Any]:
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

    def _bookmark_channel(self, args: Args) -> Channel:
        channel = self._visible_channel(args.text("channel_id"))
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _bookmarks_add(self, args: Args) -> dict[str, Any]:
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

    def _find_bookmark(self, channel: Channel, args: Args) -> dict[str, Any]:
        bookmark_id = args.required("bookmark_id")
        for bookmark in channel.bookmarks:
            if bookmark["id"] == bookmark_id:
                return bookmark
        raise SlackError("not_found")

    def _bookmarks_edit(self, args: Args) -> dict[str, Any]:
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

    def _bookmarks_remove(self, args: Args) -> dict[str, Any]:
        channel = self._bookmark_channel(args)
        bookmark = self._find_bookmark(channel, args)
        channel.bookmarks.remove(bookmark)
        self._record("bookmark", channel, self.bot_user_id, f"removed: {bookmark['title']}")
        return {}

    def _bookmarks_list(self, args: Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel_id"))
        return {"bookmarks": copy.deepcopy(channel.bookmarks)}
