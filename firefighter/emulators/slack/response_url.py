"""response_url: how Slack applies what the bot POSTs there (reply, replace, delete)."""

from __future__ import annotations

import copy
import json
import secrets
import time
from typing import Any

from firefighter.emulators.slack.blockkit import fill_ids, validate_blocks
from firefighter.emulators.slack.limits import RESPONSE_URL_LIFETIME
from firefighter.emulators.slack.model import Message, ResponsePost, ResponseTarget, SlackError
from firefighter.emulators.slack.state import EmulatorState
from firefighter.emulators.slack.wire import json_reply, parse_body


class ResponseUrlApi(EmulatorState):
    """response_url endpoints: issued for the driver, POSTed to by the bot, and inspected."""

    @property
    def responses(self) -> list[ResponsePost]:
        """Every response_url POST and slash command reply, oldest first."""
        with self._lock:
            return copy.deepcopy(self._responses)

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
            self._response_urls[token] = ResponseTarget(
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

    def _handle_respond(
        self, route: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            payload, _ = parse_body(headers.get("content-type", "application/json"), raw)
        except SlackError:
            return json_reply(400, {"ok": False, "error": "invalid_payload"})
        if "payload" in payload and isinstance(payload["payload"], str):
            try:
                payload = json.loads(payload["payload"])
            except ValueError:
                return json_reply(400, {"ok": False, "error": "invalid_payload"})
        status, body = self.deliver_response(f"{self.base_url}{route}", payload)
        return json_reply(status, body)

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
                blocks=fill_ids(block_list or []),
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
                blocks=fill_ids(block_list or []),
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

    def _source_message(self, target: ResponseTarget) -> Message | None:
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
