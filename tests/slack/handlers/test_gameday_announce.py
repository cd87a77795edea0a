"""A scheduled Game Day told in Slack: its teams mentioned beforehand, or why it is skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from firefighter.db import transaction
from firefighter.gameday.scheduled import ScheduledGameDay, announce, start_scheduled
from firefighter.gameday.spec import parse_spec
from firefighter.incidents.chaos import GateAnswer
from tests.conftest import FakeClock
from tests.gameday.test_scheduled import FILE
from tests.slack.conftest import PEOPLE, Bot

DUE = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def test_teams_are_told_before_and_told_why_it_was_skipped(bot: Bot, clock: FakeClock) -> None:
    clock.tick = timedelta(0)
    channel = bot.emulator.add_channel("gameday", members=list(PEOPLE))
    bot.core.settings.gameday_channel = channel
    gamedays = bot.core.gamedays()
    loaded = gamedays.load(parse_spec(FILE), source=None, actor=None)
    item = ScheduledGameDay(
        loaded.id, loaded.name, "0 10 * * 4", timedelta(hours=1), ("payments",), clock.now
    )
    with transaction(bot.core.factory) as session:
        announce(session, item, DUE, clock.now)
    bot.settle()
    told = [m.text for m in bot.emulator.messages(channel) if m.user == "UBOT"]
    assert len(told) == 1
    assert "Scheduled Game Day *Weekly payments drill* starts" in told[0]
    assert "<@U0RED1>" in told[0] and "<@U0RED2>" in told[0]

    closed = GateAnswer(False, "INC-7 (Payments down) is active on payments", "INC-7")
    with transaction(bot.core.factory) as session:
        note = start_scheduled(
            gamedays, session, item, due=DUE, now=clock.now, gate=lambda _c: closed
        )
    bot.settle()
    assert note.startswith("skipped")
    told = [m.text for m in bot.emulator.messages(channel) if m.user == "UBOT"]
    assert "is skipped: INC-7 (Payments down) is active on payments" in told[-1]
