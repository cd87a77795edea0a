"""chat.*: posting, editing and deleting messages, ephemeral messages, permalinks."""

from __future__ import annotations

import copy
import time
from typing import Any

from firefighter.emulators.slack.blockkit import fill_ids, validate_blocks
from firefighter.emulators.slack.limits import MESSAGE_TEXT_LIMIT
from firefighter.emulators.slack.model import Channel, Message, SlackError
from firefighter.emulators.slack.state import EmulatorState
from firefighter.emulators.slack.wire import Args


class ChatApi(EmulatorState):
    """The chat.* Web API methods and message inspection."""

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

    def _content(
        self, args: Args, *, require: bool = True
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

    def _resolve_post_channel(self, channel_ref: str) -> Channel:
        if channel_ref in self._users:
            # Posting to a user id lands in the bot's DM with that user.
            return self._open_im(channel_ref)[0]
        return self._member_channel(channel_ref)

    def _chat_post_message(self, args: Args) -> dict[str, Any]:
        channel = self._resolve_post_channel(args.text("channel"))
        text, blocks, attachments = self._content(args)
        metadata = (
            args.structure("metadata", "invalid_metadata_format") if args.has("metadata") else None
        )
        message = Message(
            ts=self._new_ts(),
            user=self.bot_user_id,
            text=text or "",
            blocks=fill_ids(blocks or []),
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

    def _updatable(self, args: Args, error: str) -> tuple[Channel, Message]:
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

    def _chat_update(self, args: Args) -> dict[str, Any]:
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

    def _chat_delete(self, args: Args) -> dict[str, Any]:
        channel, message = self._updatable(args, "cant_delete_message")
        channel.messages.remove(message)
        if message.ts in channel.pins:
            channel.pins.remove(message.ts)
        self._record(
            "delete", channel, self.bot_user_id, message.text, message.blocks, ts=message.ts
        )
        return {"channel": channel.id, "ts": message.ts}

    def _chat_post_ephemeral(self, args: Args) -> dict[str, Any]:
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
            blocks=fill_ids(blocks or []),
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

    def _chat_get_permalink(self, args: Args) -> dict[str, Any]:
        channel = self._visible_channel(args.text("channel"))
        ts = args.text("message_ts")
        message = self._find_in_channel(channel, ts) if ts else None
        if message is None:
            raise SlackError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}
