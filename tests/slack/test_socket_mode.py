"""Socket Mode end to end: the bot opens a WebSocket to the emulator and answers envelopes.

The same requests as over HTTP (slash command, modal submission, button, event) travel as
envelopes; a dropped socket is reopened by the bot and nothing is lost or handled twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import func, select

from firefighter.bootstrap import Core, build_app, build_dispatcher
from firefighter.emulators.slack import SlackDriver, SlackEmulator
from firefighter.incidents.models import Incident
from firefighter.slack.client import make_client
from tests.slack.conftest import PEOPLE, SECRET, Bot, ImmediateExecutor

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def socket_bot(core: Core) -> Iterator[Bot]:
    """The bot connected to the emulator in Socket Mode (no HTTP endpoint for Slack)."""
    emulator = SlackEmulator().start()
    for user_id, name in PEOPLE.items():
        emulator.add_user(user_id, name)
    incidents = emulator.add_channel("incidents", members=list(PEOPLE))
    settings = core.settings
    settings.slack_bot_token = emulator.bot_token
    settings.slack_api_url = emulator.api_url
    settings.slack_signing_secret = SECRET
    settings.slack_app_token = emulator.app_token
    settings.incidents_channel = incidents
    client = make_client(settings)
    handler = SocketModeHandler(
        build_app(core, client, executor=ImmediateExecutor()), emulator.app_token
    )
    handler.connect()  # type: ignore[no-untyped-call]
    emulator.socket_mode.wait_connected()
    driver = SlackDriver(emulator, "socket-mode://", SECRET)
    driver.socket_mode = True
    try:
        yield Bot(core, emulator, driver, build_dispatcher(core, client), incidents, "")
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        emulator.stop()


def incidents_count(bot: Bot) -> int:
    with bot.core.factory() as session:
        return int(session.scalar(select(func.count()).select_from(Incident)) or 0)


def test_declare_click_and_event_over_socket_mode(socket_bot: Bot) -> None:
    bot = socket_bot
    incident = bot.declare("Checkout returns 502", "SEV2")
    assert incident.channel_id and incident.card_ts
    assert bot.emulator.calls_to("apps.connections.open")  # the bot opened the socket itself

    card = bot.card(incident)
    answer = bot.driver.click(incident.channel_id, card.ts, "status:investigating", "U_BOB")
    assert answer.status == 200
    bot.settle()
    assert bot.incident(incident.id).status == "investigating"

    answer = bot.in_channel(incident, "update Rolled back the deploy")
    assert "Update posted" in bot.reply_text(answer)

    bot.emulator.add_member(incident.channel_id, "U_DAVE")
    event = {"type": "member_joined_channel", "user": "U_DAVE", "channel": incident.channel_id}
    assert bot.driver.event(event).status == 200
    bot.settle()
    welcomes = [m for m in bot.emulator.ephemerals("U_DAVE") if "Welcome to INC-1" in m.text]
    assert len(welcomes) == 1


def test_a_dropped_socket_is_reopened_and_nothing_is_lost_or_handled_twice(
    socket_bot: Bot,
) -> None:
    bot = socket_bot
    first = bot.declare("Checkout returns 502", "SEV2")
    server = bot.emulator.socket_mode
    server.warn()
    server.drop(reason="refresh_requested")
    server.wait_connected(timeout=15)
    # A command sent while the app reconnects waits for the new socket instead of vanishing.
    answer = bot.in_channel(first, "update Still degraded in EU")
    assert "Update posted" in bot.reply_text(answer)
    server.drop(reason=None)  # and when Slack just loses the connection
    # A form opens only within 3 s of the trigger, so the user acts once the app is back.
    server.wait_connected(timeout=30)
    second = bot.declare("Search is slow", "SEV3")

    assert second.id == first.id + 1 and incidents_count(bot) == 2
    assert server.hellos >= 3
    bot.settle()
    texts = [m.text for m in bot.emulator.messages(first.channel_id or "")]
    assert sum("Still degraded in EU" in t for t in texts) == 1


def test_serve_in_socket_mode_answers_healthz_and_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'socket.db'}"
    with SlackEmulator() as emulator:
        for user_id, name in PEOPLE.items():
            emulator.add_user(user_id, name)
        incidents = emulator.add_channel("incidents", members=list(PEOPLE))
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": emulator.bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_APP_TOKEN": emulator.app_token,
            "SLACK_API_URL": emulator.api_url,
            "FIREFIGHTER_INCIDENTS_CHANNEL": incidents,
        }
        subprocess.run(
            [sys.executable, "-m", "firefighter.cli", "db", "upgrade"], env=env, check=True
        )
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "firefighter.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            emulator.socket_mode.wait_connected(timeout=30)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
                assert health.status == 200
            driver = SlackDriver(emulator, "socket-mode://", SECRET)
            driver.socket_mode = True
            answer = driver.slash_command("help", "U_ALICE", incidents)
            assert answer.status == 200 and "declare" in str(answer.json)
        finally:
            process.terminate()
            process.wait(15)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
