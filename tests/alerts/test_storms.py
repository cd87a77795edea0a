"""An alert storm folds into one storm card per source; every alert is still stored, listed,
and can be declared or attached from the storm card or the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from firefighter.cli import app as cli
from firefighter.emulators.slack import blocks_text
from firefighter.incidents.alert_models import AlertGroup
from firefighter.incidents.models import Incident
from tests.alerts.conftest import AlertBot
from tests.conftest import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves 10 ms a reading: 200 webhooks stay within one minute."""
    return FakeClock(tick=timedelta(milliseconds=10))


def _alert(n: int) -> dict[str, Any]:
    return {
        "dedup_key": f"web-{n:03d}-down",
        "title": f"Host web-{n:03d} unreachable",
        "status": "firing",
        "summary": f"web-{n:03d} stopped answering",
        "labels": {"host": f"web-{n:03d}"},
    }


def _storm_card(bot: AlertBot) -> Any:
    (card,) = [c for c in bot.cards() if "Alert storm" in c.text]
    return card


def _storm(bot: AlertBot, count: int) -> None:
    for n in range(count):
        answer = bot.post("generic", _alert(n))
        assert answer.status_code == 202, answer.text
    bot.settle()


def test_a_storm_folds_into_one_card_and_a_sev1_still_gets_its_channel(bot: AlertBot) -> None:
    _storm(bot, 200)
    incident = bot.declare("Checkout is down", "SEV1")
    bot.settle()
    # Ten cards, then one storm card redrawn in place: not 200 messages.
    messages = bot.emulator.messages(bot.alerts_channel)
    assert len(messages) <= 11, len(messages)
    storm = _storm_card(bot)
    text = blocks_text(storm.blocks)
    assert "190 new alert groups" in text and "190 alerts firing" in text
    assert bot.incident(incident.id).channel_id
    # Every alert is stored, de-duplicated and listed.
    assert len(bot.alerts()) == 200
    again = bot.post("generic", _alert(150))
    assert again.json()["deduplicated"] == 1
    result = CliRunner().invoke(
        cli,
        ["alerts", "list", "--format", "json"],
        env={"DATABASE_URL": bot.core.settings.database_url},
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 200


def test_a_folded_group_is_declared_from_the_storm_card(bot: AlertBot) -> None:
    _storm(bot, 14)
    storm = _storm_card(bot)
    with bot.core.factory() as session:
        folded = session.query(AlertGroup).filter(AlertGroup.storm_id.is_not(None)).first()
    assert folded is not None
    bot.driver.select(
        bot.alerts_channel, storm.ts, "alert_storm_declare", f"{folded.id}:1", "U_BOB"
    )
    view = bot.emulator.latest_view("U_BOB")
    assert view is not None and folded.title in str(view.view["blocks"])
    answer = bot.driver.submit_view("U_BOB", {"severity": "SEV2"})
    assert answer.status == 200 and not answer.body.strip(), answer.body
    bot.settle()
    with bot.core.factory() as session:
        incident = session.query(Incident).one()
    assert incident.title == folded.title
    assert [a.incident_id for a in bot.alerts() if a.group_id == folded.id] == [incident.id]
    text = blocks_text(_storm_card(bot).blocks)
    assert "declared as INC-1" in text and "3 awaiting triage" in text
    assert len(bot.emulator.messages(bot.alerts_channel)) == 11


def test_the_command_line_declares_and_attaches_any_alert(bot: AlertBot) -> None:
    _storm(bot, 12)
    env = {"DATABASE_URL": bot.core.settings.database_url}
    last, before_last = bot.alerts()[-1], bot.alerts()[-2]
    runner = CliRunner()
    declared = runner.invoke(
        cli, ["alerts", "declare", str(last.id), "--severity", "SEV2"], env=env
    )
    assert declared.exit_code == 0, declared.output
    assert "Declared INC-1" in declared.stdout
    attached = runner.invoke(cli, ["alerts", "attach", str(before_last.id), "INC-1"], env=env)
    assert attached.exit_code == 0, attached.output
    again = runner.invoke(cli, ["alerts", "attach", str(before_last.id), "INC-1"], env=env)
    assert again.exit_code == 1 and "already handled" in again.output
    missing = runner.invoke(cli, ["alerts", "declare", "9999"], env=env)
    assert missing.exit_code == 1 and "no alert 9999" in missing.output
    assert [a.incident_id for a in bot.alerts()][-2:] == [1, 1]
