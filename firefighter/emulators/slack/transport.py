"""How the driver reaches the bot: signed HTTP posts (or Socket Mode envelopes) shaped exactly
like Slack's, and the parts every payload shares."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.signature import SignatureVerifier

from firefighter.emulators.slack.emulator import SlackEmulator
from firefighter.emulators.slack.model import Message


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


class DriverBase:
    """The transport of a driver: signing, posting over HTTP or Socket Mode, and the pieces
    every payload carries (user, team, channel, trigger, response URL)."""

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
