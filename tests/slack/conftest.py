"""A running bot (Bolt on FastAPI and uvicorn) talking to the Slack emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

import pytest

from firefighter.bootstrap import Core, build_app, build_dispatcher, http_app
from firefighter.emulators.slack import BotResponse, Message, SlackDriver, SlackEmulator
from firefighter.incidents.models import Incident
from firefighter.outbox import Dispatcher
from firefighter.slack.client import make_client
from firefighter.web import BackgroundServer
from tests.conftest import SLACK_DEADLINE_S

SECRET = "test-signing-secret"
PEOPLE = {"U_ALICE": "alice", "U_BOB": "bob", "U_CAROL": "carol", "U_DAVE": "dave"}


@dataclass
class Bot:
    """The bot under test, the emulator it talks to, and a driver acting as users."""

    core: Core
    emulator: SlackEmulator
    driver: SlackDriver
    dispatcher: Dispatcher
    incidents_channel: str
    url: str

    def settle(self) -> int:
        """Deliver every due outbox item, as the worker would."""
        return self.dispatcher.drain()

    def command(self, text: str, user: str = "U_ALICE", channel: str | None = None) -> BotResponse:
        """`/incident <text>` as `user` in `channel` (the incidents channel by default)."""
        return self.driver.slash_command(text, user, channel or self.incidents_channel)

    def reply_text(self, response: BotResponse) -> str:
        """What the command answered, as the user reads it."""
        payload = response.json if isinstance(response.json, dict) else {}
        return str(payload.get("text") or response.body)

    def declare(
        self,
        title: str = "Checkout is down",
        severity: str = "SEV2",
        user: str = "U_ALICE",
        **values: Any,
    ) -> Incident:
        """Declare through the modal, deliver the effects, return the incident."""
        opened = self.command(f"declare {title}", user)
        assert opened.status == 200, opened.body
        answer = self.driver.submit_view(user, {"severity": severity, **values})
        assert answer.status == 200 and not answer.body.strip(), answer.body
        self.settle()
        with self.core.factory() as session:
            incident = session.query(Incident).order_by(Incident.id.desc()).first()
        assert incident is not None
        return incident

    def incident(self, incident_id: int) -> Incident:
        """The incident as stored now."""
        with self.core.factory() as session:
            found = session.get(Incident, incident_id)
        assert found is not None
        return found

    def card(self, incident: Incident) -> Message:
        """The pinned card as Slack shows it now."""
        fresh = self.incident(incident.id)
        assert fresh.channel_id and fresh.card_ts
        found = self.emulator.find_message(fresh.channel_id, fresh.card_ts)
        assert found is not None
        return found

    def announcement(self, incident: Incident) -> Message:
        """The announcement as Slack shows it now."""
        fresh = self.incident(incident.id)
        assert fresh.announcement_ts
        found = self.emulator.find_message(self.incidents_channel, fresh.announcement_ts)
        assert found is not None
        return found

    def in_channel(self, incident: Incident, text: str, user: str = "U_ALICE") -> BotResponse:
        """A command typed inside the incident's channel."""
        fresh = self.incident(incident.id)
        assert fresh.channel_id
        return self.command(text, user, fresh.channel_id)


def buttons(message: Message) -> list[str]:
    """Labels of the buttons drawn on a message."""
    labels = []
    for block in message.blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button":
                labels.append(element["text"]["text"])
    return labels


class ImmediateExecutor(Executor):
    """Runs Bolt's lazy listeners inside the request, so tests see their effect at once."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


@pytest.fixture
def bot(core: Core) -> Iterator[Bot]:
    """A bot on the test database, served over HTTP, talking to a fresh emulator."""
    emulator = SlackEmulator().start()
    for user_id, name in PEOPLE.items():
        emulator.add_user(user_id, name)
    incidents = emulator.add_channel("incidents", members=list(PEOPLE))
    settings = core.settings
    settings.slack_bot_token = emulator.bot_token
    settings.slack_api_url = emulator.api_url
    settings.slack_signing_secret = SECRET
    settings.incidents_channel = incidents
    client = make_client(settings)
    app = build_app(core, client, executor=ImmediateExecutor())
    server = BackgroundServer(http_app(core, app, slack_deadline_s=SLACK_DEADLINE_S)).start()
    driver = SlackDriver(emulator, f"{server.url}/slack/events", SECRET)
    try:
        yield Bot(core, emulator, driver, build_dispatcher(core, client), incidents, server.url)
    finally:
        server.stop()
        emulator.stop()
