"""Signed requests to the bot, shaped exactly like Slack's, so tests can act as users."""

from __future__ import annotations

import copy
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.signature import SignatureVerifier

from firefighter.emulators.slack.elements import find_element, options_of, plain, view_state
from firefighter.emulators.slack.emulator import SlackEmulator
from firefighter.emulators.slack.model import Message, View


@dataclass(frozen=True)
class BotResponse:
    """What the bot answered to one request."""

    status: int
    body: str
    json: Any | None
    elapsed: float
    headers: dict[str, str] = field(default_factory=dict)


def envelope_of(body: str, content_type: str) -> tuple[str, dict[str, Any], bool]:
    """The Socket Mode envelope type, payload and `accepts_response_payload` of a request the
    driver would otherwise POST."""
    if "json" in content_type:
        return "events_api", json.loads(body), False
    fields = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
    if "payload" in fields:
        payload = json.loads(fields["payload"])
        # Slack lets an app answer view submissions (errors, update) and options requests.
        accepts = payload.get("type") in ("view_submission", "block_suggestion")
        return "interactive", payload, accepts
    return "slash_commands", fields, True


class SlackDriver:
    """Acts as Slack towards the bot: signs and posts commands, clicks, submissions, events."""

    def __init__(
        self,
        emulator: SlackEmulator,
        bot_url: str,
        signing_secret: str,
        team_id: str = "T0001",
        *,
        verification_token: str = "emulated-verification-token",
        timeout: float = 10.0,
    ) -> None:
        self.emulator = emulator
        self.bot_url = bot_url
        self.team_id = team_id
        self.verification_token = verification_token
        self.timeout = timeout
        self._verifier = SignatureVerifier(signing_secret)
        # No proxy: the bot is on loopback and an HTTP(S)_PROXY must not intercept it.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.last_trigger_id: str | None = None
        self.last_response_url: str | None = None
        self.last_payload: dict[str, Any] | None = None
        # Send through the emulator's Socket Mode connection instead of HTTP.
        self.socket_mode = False

    # -- transport ---------------------------------------------------------

    def sign(self, body: str, timestamp: int) -> str:
        """The `X-Slack-Signature` Slack would send for this body and timestamp."""
        signature = self._verifier.generate_signature(timestamp=str(timestamp), body=body)
        assert signature is not None
        return signature

    def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> BotResponse:
        """Sign and POST a raw body to the bot (no retries); `timestamp`/`signature` forge them.

        With `socket_mode` on, the same request goes as an envelope over the app's Socket
        Mode connection instead (nothing is signed there: the app opened the socket).
        """
        if self.socket_mode:
            return self._over_socket(body, content_type)
        stamp = int(time.time()) if timestamp is None else timestamp
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature if signature is not None else self.sign(body, stamp),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }
        request = urllib.request.Request(
            self.bot_url, data=body.encode("utf-8"), headers=all_headers, method="POST"
        )
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = int(response.status)
                raw = response.read()
                out_headers = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as error:
            status = error.code
            raw = error.read()
            out_headers = {k.lower(): v for k, v in error.headers.items()}
        elapsed = time.perf_counter() - started
        text = raw.decode("utf-8", "replace")
        parsed: Any | None = None
        if text.strip():
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        return BotResponse(
            status=status, body=text, json=parsed, elapsed=elapsed, headers=out_headers
        )

    def _over_socket(self, body: str, content_type: str) -> BotResponse:
        kind, payload, accepts = envelope_of(body, content_type)
        started = time.perf_counter()
        envelope = self.emulator.socket_mode.send(
            kind, payload, accepts_response_payload=accepts, timeout=self.timeout
        )
        elapsed = time.perf_counter() - started
        if not envelope.acked.is_set():
            # Slack shows the user an error when the app does not acknowledge in time.
            return BotResponse(status=504, body="no acknowledgement", json=None, elapsed=elapsed)
        answer = envelope.response
        text = json.dumps(answer) if answer else ""
        return BotResponse(status=200, body=text, json=answer, elapsed=elapsed)

    def _post_form(self, fields: dict[str, str], **overrides: Any) -> BotResponse:
        return self.post(
            urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **overrides
        )

    def _post_payload(self, payload: dict[str, Any], **overrides: Any) -> BotResponse:
        self.last_payload = payload
        return self._post_form({"payload": json.dumps(payload)}, **overrides)

    def redeliver(self) -> BotResponse:
        """Send the last interactive payload again, as Slack does when an answer is late."""
        if self.last_payload is None:
            raise LookupError("nothing was sent yet")
        return self._post_payload(self.last_payload)

    # -- helpers -----------------------------------------------------------

    def _user_obj(self, user_id: str) -> dict[str, Any]:
        user = self.emulator.user(user_id)
        name = user.name if user is not None else user_id
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.emulator.team_domain}

    def _channel_name(self, channel_id: str) -> str:
        try:
            channel = self.emulator.channel(channel_id)
        except KeyError:
            return ""
        if channel.is_im:
            return "directmessage"
        if channel.is_private and not channel.is_mpim:
            return "privategroup"
        return channel.name

    def _trigger(self, user_id: str) -> str:
        self.last_trigger_id = self.emulator.issue_trigger_id(user_id)
        return self.last_trigger_id

    def _response_url(
        self,
        channel_id: str | None,
        user_id: str,
        *,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
    ) -> str:
        self.last_response_url = self.emulator.issue_response_url(
            channel_id, user_id, message_ts=message_ts, is_ephemeral=is_ephemeral
        )
        return self.last_response_url

    def _message(self, channel_id: str, message_ts: str) -> Message:
        message = self.emulator.find_message(channel_id, message_ts)
        if message is None:
            raise LookupError(f"no message {message_ts} in {channel_id}")
        return message

    @staticmethod
    def _action_ts() -> str:
        return f"{time.time():.6f}"

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
