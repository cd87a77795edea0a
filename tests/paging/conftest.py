"""A bot with paging set up: Payments on PagerDuty, Checkout on Opsgenie, both emulated."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from firefighter.emulators.opsgenie import OpsgenieEmulator
from firefighter.emulators.pagerduty import PagerDutyEmulator, PdUser
from firefighter.incidents.models import Incident
from firefighter.incidents.paging_models import Page
from firefighter.settings import Settings
from tests.conftest import FakeClock
from tests.slack.conftest import Bot, bot  # noqa: F401

ALERTS_TOKEN = "alerts-token"
PD_SECRET = "pd-webhook-secret"
ANN = ("Ann Oncall", "ann@example.com")  # Payments, PagerDuty, level 1
BEN = ("Ben Backup", "ben@example.com")  # Payments, PagerDuty, level 2
OLGA = ("Olga Oncall", "olga@example.com")  # Checkout, Opsgenie
OSCAR = ("Oscar Backup", "oscar@example.com")

CONFIG = """\
services:
  Payments:
    pagerduty:
      routing_key: {routing_key}
      escalation_policy: PPAYMENTS
  Checkout:
    opsgenie:
      team: Checkout
      schedule: checkout_schedule
components:
  payments: Payments
  web: Checkout
default: Payments
{extra}
"""


@dataclass
class Vendor:
    """One vendor as a test drives it: the component whose service it pages."""

    kind: str
    component: str
    service: str
    pagerduty: PagerDutyEmulator
    opsgenie: OpsgenieEmulator
    users: dict[str, PdUser]

    def sent(self, action: str) -> int:
        """How many trigger / acknowledge / resolve the vendor accepted."""
        if self.kind == "pagerduty":
            return len(self.pagerduty.events_for(action))
        verb = {"trigger": "create", "acknowledge": "acknowledge", "resolve": "close"}[action]
        return len(self.opsgenie.actions(verb))

    def acknowledge(self, key: str) -> None:
        """The on-call acknowledges in the vendor's app (its webhook reaches the bot)."""
        if self.kind == "pagerduty":
            answer = self.pagerduty.acknowledge_as(key, self.users["ann"])
        else:
            answer = self.opsgenie.acknowledge_as(key, OLGA[1])
        assert answer is not None and answer[0] == 202, answer

    def escalate(self, key: str) -> None:
        """Nobody acknowledged in time: the vendor pages the next level."""
        if self.kind == "pagerduty":
            answer = self.pagerduty.escalate(key)
        else:
            answer = self.opsgenie.escalate(key, OSCAR[1])
        assert answer is not None and answer[0] == 202, answer

    def resolve(self, key: str) -> None:
        """Someone resolves in the vendor's app."""
        if self.kind == "pagerduty":
            answer = self.pagerduty.resolve_as(key, self.users["ann"])
        else:
            answer = self.opsgenie.close_as(key, OLGA[1])
        assert answer is not None and answer[0] == 202, answer

    def down_for(self, seconds: float) -> None:
        """The vendor answers 503 for `seconds`."""
        (self.pagerduty if self.kind == "pagerduty" else self.opsgenie).faults.down_for(seconds)

    @property
    def acknowledger(self) -> str:
        """The name the card shows for who acknowledged."""
        return ANN[0] if self.kind == "pagerduty" else OLGA[0]

    @property
    def backup(self) -> str:
        """Who the escalation pages."""
        return BEN[0] if self.kind == "pagerduty" else OSCAR[0]


@dataclass
class Paged:
    """The bot and its paging vendors."""

    bot: Bot
    pagerduty: PagerDutyEmulator
    opsgenie: OpsgenieEmulator
    clock: FakeClock
    users: dict[str, PdUser]

    def vendor(self, kind: str) -> Vendor:
        """The test's vendor."""
        component, service = (
            ("payments", "Payments") if kind == "pagerduty" else ("web", "Checkout")
        )
        return Vendor(kind, component, service, self.pagerduty, self.opsgenie, self.users)

    def pages(self, incident: Incident) -> list[Page]:
        """The incident's pages as stored."""
        with self.bot.core.factory() as session:
            return list(
                session.query(Page).filter(Page.incident_id == incident.id).order_by(Page.id)
            )

    def channel_texts(self, incident: Incident) -> list[str]:
        """The messages in the incident channel, oldest first."""
        fresh = self.bot.incident(incident.id)
        assert fresh.channel_id
        return [m.text for m in self.bot.emulator.messages(fresh.channel_id)]


def write_config(path: Path, routing_key: str, extra: str = "") -> Path:
    """The paging file."""
    path.write_text(CONFIG.format(routing_key=routing_key, extra=extra), encoding="utf-8")
    return path


def paged_bot(
    request: pytest.FixtureRequest,
    settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
    *,
    extra: str = "",
    routing_key: str | None = None,
) -> Iterator[Paged]:
    """Start the vendors, write the paging file into the settings, then build the bot (its
    core reads the paging settings when it is built: nothing is configured afterwards)."""
    pagerduty = PagerDutyEmulator(clock=clock).start()
    opsgenie = OpsgenieEmulator(clock=clock).start()
    try:
        users = {
            "ann": pagerduty.add_user(*ANN),
            "ben": pagerduty.add_user(*BEN),
        }
        key = pagerduty.add_service("Payments", "PPAYMENTS")
        pagerduty.put_on_call("PPAYMENTS", users["ann"], level=1)
        pagerduty.put_on_call("PPAYMENTS", users["ben"], level=2)
        for name, email in (OLGA, OSCAR):
            opsgenie.add_user(email, name)
        opsgenie.put_on_call("checkout_schedule", OLGA[1], hours=48)
        settings.paging = write_config(tmp_path / "paging.yml", routing_key or key, extra)
        settings.pagerduty_events_url = pagerduty.url
        settings.pagerduty_api_url = pagerduty.url
        settings.pagerduty_api_token = pagerduty.token
        settings.opsgenie_api_url = opsgenie.url
        settings.opsgenie_api_key = opsgenie.api_key
        settings.alerts_token = ALERTS_TOKEN
        settings.pagerduty_webhook_secret = PD_SECRET
        settings.base_url = "https://firefighter.example.com"
        the_bot: Bot = request.getfixturevalue("bot")
        # The people on call have Slack accounts with the same e-mail addresses.
        the_bot.emulator.add_user("U_ANN", "ann", email=ANN[1], real_name=ANN[0])
        the_bot.emulator.add_user("U_OLGA", "olga", email=OLGA[1], real_name=OLGA[0])
        pagerduty.webhook_url = f"{the_bot.url}/alerts/pagerduty"
        pagerduty.webhook_secret = PD_SECRET
        opsgenie.webhook_url = f"{the_bot.url}/paging/opsgenie"
        opsgenie.webhook_headers = {"Authorization": f"Bearer {ALERTS_TOKEN}"}
        yield Paged(the_bot, pagerduty, opsgenie, clock, users)
    finally:
        pagerduty.stop()
        opsgenie.stop()


@pytest.fixture
def paged(
    request: pytest.FixtureRequest, settings: Settings, clock: FakeClock, tmp_path: Path
) -> Iterator[Paged]:
    """The bot, paging Payments through PagerDuty and Checkout through Opsgenie."""
    yield from paged_bot(request, settings, clock, tmp_path)
