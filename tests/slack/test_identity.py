"""Who the bot is, asked of Slack once at start-up with retries (a fresh replica's first
request used to ask it with no retry, and a 429 there told a person the app was gone)."""

from __future__ import annotations

import time

from firefighter.bootstrap import bot_identity
from firefighter.emulators.slack import SlackEmulator
from firefighter.settings import Settings
from firefighter.slack.client import make_client, request_client
from firefighter.slack.identity import BotIdentity


def ask(identity: BotIdentity) -> str | None:
    result = identity(context=None, enterprise_id=None, team_id=None, user_id="U1")  # type: ignore[arg-type]
    return None if result is None else result.bot_user_id


def test_start_up_waits_out_slacks_rate_limit_and_keeps_the_answer() -> None:
    with SlackEmulator() as emulator:
        emulator.faults(rate_429=1.0, methods=["auth.test"], limit=2, retry_after=1)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=emulator.bot_token,
            slack_api_url=emulator.api_url,
        )
        client = make_client(settings)  # serve's: Retry-After honoured
        patient = bot_identity(client)
        # What a request would do alone before the answer is known: one try, refused.
        assert ask(BotIdentity(request_client(client), request_client(client))) is None
        patient.fetch_in_background()
        deadline = time.monotonic() + 20
        while not patient.known:
            assert time.monotonic() < deadline, "the bot's ids were never fetched"
            time.sleep(0.05)
        asked = len(emulator.calls_to("auth.test"))
        assert ask(patient) == emulator.bot_user_id
        assert ask(patient) == emulator.bot_user_id
        assert len(emulator.calls_to("auth.test")) == asked  # kept, never asked again
