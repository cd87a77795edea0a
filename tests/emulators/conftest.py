"""Shared by the emulator tests: an emulated workspace and a WebClient pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter.emulators.slack import SlackEmulator
from firefighter.emulators.slack.scopes import every_scope

TOKEN = "xoxb-test-token"
SECRET = "emulated-signing-secret"


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    # These tests are about the Web API's own rules, so the app may call every method.
    with SlackEmulator(scopes=every_scope()) as emu:
        emu.add_user("U1", "alice")
        emu.add_user("U2", "bob", tz="America/New_York")
        emu.add_user("U3", "carol")
        emu.add_usergroup("S1", "oncall", ["U1", "U2"])
        yield emu


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=emulator.api_url)


def error_of(call: Any) -> str:
    """Run a WebClient call expected to fail and return Slack's error code."""
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
