"""A bot with alert intake on, served over HTTP, and helpers that post vendors' payloads."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from firefighter.alerts.auth import pagerduty_signature
from firefighter.bootstrap import Core, build_app, build_dispatcher, http_app
from firefighter.emulators.slack import Message, SlackDriver, SlackEmulator
from firefighter.incidents.alert_models import Alert, AlertGroup
from firefighter.observability import Metrics
from firefighter.outbox.models import OutboxItem
from firefighter.settings import Settings
from firefighter.slack.client import make_client
from firefighter.web import BackgroundServer
from tests.conftest import SLACK_DEADLINE_S
from tests.slack.conftest import PEOPLE, SECRET, Bot, ImmediateExecutor

PAYLOADS = Path(__file__).parent / "payloads"
TOKEN = "alerts-token-1234"
PD_SECRET = "pagerduty-secret-5678"


def payload(name: str) -> dict[str, Any]:
    """A vendor's documented example, as stored under payloads/."""
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return copy.deepcopy(data)


@dataclass
class AlertBot(Bot):
    """The bot plus its alerts channel, metrics and a webhook client."""

    alerts_channel: str = ""
    metrics: Metrics | None = None

    def post(
        self,
        source: str,
        body: Any,
        *,
        token: str | None = TOKEN,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> requests.Response:
        """POST a webhook as the vendor would (PagerDuty signed, the others with the token)."""
        data = raw if raw is not None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        if source == "pagerduty":
            sent.setdefault("X-PagerDuty-Signature", pagerduty_signature(data, PD_SECRET))
        elif token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        return requests.post(f"{self.url}/alerts/{source}", data=data, headers=sent, timeout=10)

    def cards(self) -> list[Message]:
        """The triage cards in the alerts channel (every message the bot posted there)."""
        return [m for m in self.emulator.messages(self.alerts_channel) if m.user == "UBOT"]

    def stored(self) -> dict[str, int]:
        """Rows written: alerts, groups and outbox items."""
        with self.core.factory() as session:
            return {
                "alerts": session.scalar(select(func.count()).select_from(Alert)) or 0,
                "groups": session.scalar(select(func.count()).select_from(AlertGroup)) or 0,
                "outbox": session.scalar(select(func.count()).select_from(OutboxItem)) or 0,
            }

    def alerts(self) -> list[Alert]:
        """Every alert, oldest first."""
        with self.core.factory() as session:
            return list(session.scalars(select(Alert).order_by(Alert.id)))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings with alert intake on, PagerDuty signed, and cards redrawn without delay."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db_url,
        postmortem_dir=tmp_path / "postmortems",
        alerts_token=TOKEN,
        pagerduty_webhook_secret=PD_SECRET,
        alert_card_seconds=0,
    )


@pytest.fixture
def make_bot(core: Core, tmp_path: Path) -> Iterator[Callable[..., AlertBot]]:
    """Start a bot, optionally with a rules file (YAML text)."""
    started: list[tuple[BackgroundServer, SlackEmulator]] = []

    def make(rules: str | None = None) -> AlertBot:
        emulator = SlackEmulator().start()
        for user_id, name in PEOPLE.items():
            emulator.add_user(user_id, name)
        incidents = emulator.add_channel("incidents", members=list(PEOPLE))
        alerts = emulator.add_channel("alerts", members=list(PEOPLE))
        settings = core.settings
        settings.slack_bot_token = emulator.bot_token
        settings.slack_api_url = emulator.api_url
        settings.slack_signing_secret = SECRET
        settings.incidents_channel = incidents
        settings.alerts_channel = alerts
        if rules is not None:
            path = tmp_path / "rules.yaml"
            path.write_text(rules)
            settings.alert_rules = path
        client = make_client(settings)
        app = build_app(core, client, executor=ImmediateExecutor())
        metrics = Metrics()
        server = BackgroundServer(
            http_app(core, app, metrics, slack_deadline_s=SLACK_DEADLINE_S)
        ).start()
        started.append((server, emulator))
        driver = SlackDriver(emulator, f"{server.url}/slack/events", SECRET)
        return AlertBot(
            core,
            emulator,
            driver,
            build_dispatcher(core, client),
            incidents,
            server.url,
            alerts_channel=alerts,
            metrics=metrics,
        )

    yield make
    for server, emulator in started:
        server.stop()
        emulator.stop()


@pytest.fixture
def bot(make_bot: Callable[..., AlertBot]) -> AlertBot:
    """A bot with no rules file: every alert goes to triage."""
    return make_bot()
