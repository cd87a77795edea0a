"""Signed requests to the bot, shaped exactly like Slack's, so tests can act as users."""

from __future__ import annotations

import copy
import json
import secrets
import time
from typing import Any

from firefighter.emulators.slack.elements import find_element, options_of, plain, view_state
from firefighter.emulators.slack.model import Message, View
from firefighter.emulators.slack.transport import BotResponse, DriverBase, envelope_of

__all__ = ["BotResponse", "SlackDriver", "envelope_of"]


class SlackDriver(DriverBase):
    """Acts as Slack towards the bot: signs and posts commands, clicks, submissions, events."""

    # -- slash commands ----------------------------------------------------

    def slash_command(
        self,
        text: str,
        user_id: str,
        channel_id: str,
        command: str = "/incident",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> BotResponse:
        """Run a slash command as `user_id` in `channel_id`.

        A non-empty acknowledgement body is shown to the user, as Slack does.
        """
        user = self.emulator.user(user_id)
        response_url = self._response_url(channel_id, user_id)
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.emulator.team_domain,
            "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": user.name if user is not None else user_id,
            "command": command,
            "text": text,
            "api_app_id": self.emulator.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self._trigger(user_id),
        }
        self.emulator.note_user_action("command", channel_id, user_id, f"{command} {text}".strip())
        response = self._post_form(fields, timestamp=timestamp, signature=signature)
        if response.status == 200 and response.body.strip():
            # Slack shows a non-empty acknowledgement body as the command's reply.
            payload = response.json if isinstance(response.json, dict) else {"text": response.body}
            self.emulator.deliver_response(response_url, payload, count_use=False)
        return response

    # -- block actions -----------------------------------------------------

    def _block_actions(
        self,
        channel_id: str,
        message: Message,
        user_id: str,
        action: dict[str, Any],
        **overrides: Any,
    ) -> BotResponse:
        is_ephemeral = message.ephemeral_for is not None
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }
        if message.thread_ts:
            container["thread_ts"] = message.thread_ts
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_obj(user_id),
            "api_app_id": self.emulator.app_id,
            "token": self.verification_token,
            "container": container,
            "trigger_id": self._trigger(user_id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "state": {"values": {}},
            "response_url": self._response_url(
                channel_id, user_id, message_ts=message.ts, is_ephemeral=is_ephemeral
            ),
            "actions": [action],
        }
        if not is_ephemeral:
            # Slack leaves the message out of payloads for ephemeral messages.
            payload["message"] = message.to_api()
        return self._post_payload(payload, **overrides)

    def click(
        self,
        channel_id: str,
        message_ts: str,
        action_id: str,
        user_id: str,
        value: str | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> BotResponse:
        """Click a button the bot drew in a stored message; LookupError if it is not there."""
        message = self._message(channel_id, message_ts)
        block, button = find_element(message, "button", action_id, value)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block.get("block_id", ""),
            "text": copy.deepcopy(button.get("text") or plain("")),
            "type": "button",
            "action_ts": self._action_ts(),
        }
        if "value" in button:
            action["value"] = button["value"]
        if "style" in button:
            action["style"] = button["style"]
        label = str((button.get("text") or {}).get("text", action_id))
        self.emulator.note_user_action("click", channel_id, user_id, f"clicked [{label}]")
        return self._block_actions(
            channel_id, message, user_id, action, timestamp=timestamp, signature=signature
        )

    def select(
        self,
        channel_id: str,
        message_ts: str,
        action_id: str,
        option_value: str,
        user_id: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> BotResponse:
        """Pick an option of a static_select the bot drew in a stored message."""
        message = self._message(channel_id, message_ts)
        block, menu = find_element(message, "static_select", action_id, None)
        option = next((o for o in options_of(menu) if o.get("value") == option_value), None)
        if option is None:
            offered = [o.get("value") for o in options_of(menu)]
            raise LookupError(
                f"static_select {action_id!r} has no option {option_value!r}; offered: {offered}"
            )
        action: dict[str, Any] = {
            "type": "static_select",
            "action_id": action_id,
            "block_id": block.get("block_id", ""),
            "selected_option": copy.deepcopy(option),
            "action_ts": self._action_ts(),
        }
        if "placeholder" in menu:
            action["placeholder"] = copy.deepcopy(menu["placeholder"])
        label = str(option.get("text", {}).get("text", option_value))
        self.emulator.note_user_action("select", channel_id, user_id, f"selected {label!r}")
        return self._block_actions(
            channel_id, message, user_id, action, timestamp=timestamp, signature=signature
        )

    def click_in_view(self, view_id: str, action_id: str, user_id: str) -> BotResponse:
        """Click a button of a view (a modal, or a Home tab) the bot published."""
        view = self._target_view(user_id, view_id)
        for block in view.view.get("blocks") or []:
            for button in block.get("elements") or []:
                if button.get("type") == "button" and button.get("action_id") == action_id:
                    break
            else:
                continue
            break
        else:
            raise LookupError(f"view {view_id} has no button {action_id!r}")
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": block.get("block_id", ""),
            "text": copy.deepcopy(button.get("text") or plain("")),
            "value": button.get("value", ""),
            "action_ts": self._action_ts(),
        }
        payload = {
            "type": "block_actions",
            "user": self._user_obj(user_id),
            "api_app_id": self.emulator.app_id,
            "token": self.verification_token,
            "container": {"type": "view", "view_id": view.id},
            "trigger_id": self._trigger(user_id),
            "team": self._team(),
            "view": copy.deepcopy(view.view),
            "actions": [action],
        }
        self.emulator.note_user_action("click", None, user_id, f"clicked [{action_id}]")
        return self._post_payload(payload)

    # -- views -------------------------------------------------------------

    def _target_view(self, user_id: str, view_id: str | None) -> View:
        view = self.emulator.view(view_id) if view_id else self.emulator.latest_view(user_id)
        if view is None:
            raise LookupError(
                f"no open view for {user_id}" if not view_id else f"no view {view_id}"
            )
        return view

    def build_view_state(self, view: View, values: dict[str, Any]) -> dict[str, Any]:
        """The `state.values` Slack would send for a view filled with `values` (by action_id)."""
        return view_state(view, values)

    def submit_view(
        self,
        user_id: str,
        values: dict[str, Any],
        view_id: str | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> BotResponse:
        """Submit the user's current modal (or `view_id`) with `values` keyed by action_id."""
        view = self._target_view(user_id, view_id)
        payload_view = copy.deepcopy(view.view)
        payload_view["state"] = {"values": self.build_view_state(view, values)}
        payload_view["hash"] = view.hash
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user_obj(user_id),
            "api_app_id": self.emulator.app_id,
            "token": self.verification_token,
            "trigger_id": self._trigger(user_id),
            "view": payload_view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        filled = ", ".join(f"{key}={value}" for key, value in values.items())
        self.emulator.note_user_action(
            "submit", None, user_id, f"submitted {view.title!r}: {filled}"
        )
        response = self._post_payload(payload, timestamp=timestamp, signature=signature)
        if response.status == 200:
            answer = response.json if isinstance(response.json, dict) else None
            self.emulator.apply_view_submission_response(view.id, answer)
        return response

    def close_view(
        self,
        user_id: str,
        view_id: str | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> BotResponse | None:
        """Dismiss a modal; Slack only tells the bot (view_closed) when notify_on_close is set."""
        view = self._target_view(user_id, view_id)
        self.emulator.mark_view_closed(view.id)
        if not view.view.get("notify_on_close"):
            return None
        payload = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user_obj(user_id),
            "api_app_id": self.emulator.app_id,
            "token": self.verification_token,
            "view": copy.deepcopy(view.view),
            "is_cleared": False,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._post_payload(payload, timestamp=timestamp, signature=signature)

    # -- Events API --------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        *,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> BotResponse:
        """Deliver an Events API `event_callback`, optionally as Slack's Nth retry."""
        now = time.time()
        inner = dict(event)
        inner.setdefault("event_ts", f"{now:.6f}")
        envelope = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.emulator.app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.emulator.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_urlsafe(24)}",
        }
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self.post(
            json.dumps(envelope),
            "application/json",
            headers=headers,
            timestamp=timestamp,
            signature=signature,
        )

    def message(
        self,
        channel_id: str,
        user_id: str,
        text: str,
        thread_ts: str | None = None,
        **overrides: Any,
    ) -> BotResponse:
        """A human posts in a channel: stored in the emulator, then sent as a `message` event."""
        stored = self.emulator.post_user_message(channel_id, user_id, text, thread_ts)
        channel = self.emulator.channel(channel_id)
        event: dict[str, Any] = {
            "type": "message",
            "user": user_id,
            "text": text,
            "ts": stored.ts,
            "channel": channel_id,
            "channel_type": "im" if channel.is_im else "group" if channel.is_private else "channel",
            "team": self.team_id,
            "event_ts": stored.ts,
        }
        if stored.thread_ts:
            event["thread_ts"] = stored.thread_ts
            event["parent_user_id"] = stored.parent_user_id
        return self.event(event, **overrides)

    def reaction(
        self, channel_id: str, message_ts: str, user_id: str, name: str = "pushpin"
    ) -> BotResponse:
        """A person adds an emoji to a stored message: stored, then sent as `reaction_added`."""
        message = self.emulator.add_user_reaction(channel_id, message_ts, user_id, name)
        channel = self.emulator.channel(channel_id)
        item = {
            "type": "message",
            "channel": channel_id,
            "ts": message_ts,
            "channel_type": "group" if channel.is_private else "channel",
        }
        event = {"type": "reaction_added", "user": user_id, "reaction": name, "item": item}
        if message.user:
            # Absent for messages no user wrote (incoming webhooks), as Slack does.
            event["item_user"] = message.user
        return self.event(event)

    def app_home_opened(self, user_id: str) -> BotResponse:
        """A person opens the app's Home tab (`app_home_opened`, with the view published)."""
        view = self.emulator.home_view(user_id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.emulator.open_im_id(user_id),
            "tab": "home",
        }
        if view is not None:
            event["view"] = copy.deepcopy(view.view)
        self.emulator.note_user_action("home", None, user_id, "opened the Home tab")
        return self.event(event)

    def message_shortcut(
        self, callback_id: str, channel_id: str, message_ts: str, user_id: str
    ) -> BotResponse:
        """Run a message shortcut (`message_action`) on a stored message, as `user_id`."""
        message = self._message(channel_id, message_ts)
        payload = {
            "type": "message_action",
            "token": self.verification_token,
            "action_ts": self._action_ts(),
            "team": self._team(),
            "user": self._user_obj(user_id),
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self._trigger(user_id),
            "response_url": self._response_url(channel_id, user_id),
            "message_ts": message_ts,
            "message": message.to_api(),
        }
        self.emulator.note_user_action("shortcut", channel_id, user_id, f"shortcut {callback_id}")
        return self._post_payload(payload)

    def url_verification(
        self, challenge: str, *, timestamp: int | None = None, signature: str | None = None
    ) -> BotResponse:
        """Send the Events API URL handshake."""
        body = {
            "token": self.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }
        return self.post(
            json.dumps(body), "application/json", timestamp=timestamp, signature=signature
        )
