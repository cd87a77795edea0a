"""FIREFIGHTER_COMMAND is what every hint tells people to type, never a hard-coded `/incident`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from firefighter.bootstrap import Core
from firefighter.gameday.engine import GameDayRefused
from firefighter.incidents.followup_models import FollowUp
from firefighter.incidents.followup_reminders import UNOWNED
from firefighter.settings import Settings
from firefighter.slack.blocks.conversation_blocks import HomeState, home_view
from firefighter.slack.blocks.followup_blocks import reminder_text
from firefighter.slack.blocks.gameday_blocks import symptom_text
from firefighter.slack.blocks.reminder_blocks import postmortem_dm_text
from tests.gameday.helpers import two_teams
from tests.postmortem.conftest import to_postmortem, worker
from tests.slack.conftest import Bot

COMMAND = "/fire"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a slash command other than the default."""
    settings.command = COMMAND
    return settings


def test_a_refusal_in_slack_names_the_configured_command(bot: Bot) -> None:
    incident = bot.core.service.declare(title="DNS", severity="SEV2", actor="U_ALICE")
    bot.settle()
    channel = bot.incident(incident.id).channel_id or ""
    taken = bot.driver.slash_command("role commander <@U_BOB|bob>", "U_BOB", channel, COMMAND)
    said = bot.reply_text(taken)
    assert said.startswith(":warning: <@U_ALICE> is the commander of INC-1")
    assert f"Ask them to run `{COMMAND} role commander @you` in the incident channel." in said
    assert "/incident" not in said


def test_a_running_game_day_says_how_to_stop_it_with_the_configured_command(bot: Bot) -> None:
    bot.core.settings.gameday_channel = bot.emulator.add_channel("gameday")
    games = bot.core.gamedays()
    games.load(two_teams(), source="test.yaml", actor=None)
    games.start(None, actor=None)
    second = two_teams().model_copy(update={"name": "Second day"})
    games.load(second, source="second.yaml", actor=None)
    with pytest.raises(GameDayRefused) as refused:
        games.start("Second day", actor=None)
    channel = bot.core.settings.gameday_channel
    answer = bot.driver.slash_command("gameday start Second day", "U_ALICE", channel, COMMAND)
    assert f"stop it first (`{COMMAND} gameday stop`)." in bot.reply_text(answer)
    assert "/incident" not in bot.reply_text(answer)
    assert "/incident" not in str(refused.value)


def test_the_post_mortem_page_names_the_configured_command(core: Core, settings: Settings) -> None:
    exported = to_postmortem(core)
    worker(core).drain()
    page = (settings.postmortem_dir / f"INC-{exported.id}.html").read_text("utf-8")
    storage = (settings.postmortem_dir / f"INC-{exported.id}.storage.xml").read_text("utf-8")
    assert f"<code>{COMMAND} followup</code>" in page
    assert f"<code>{COMMAND} followup</code>" in storage
    assert "/incident" not in page.replace("/incidents/", "")


def test_reminders_home_and_drills_name_the_configured_command(core: Core) -> None:
    incident = core.service.declare(title="DNS", severity="SEV2", actor="U_ALICE")
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    texts = [
        postmortem_dm_text(incident, now, 5, COMMAND),
        reminder_text(
            FollowUp(id=1, incident_id=incident.id, title="Fix", due=date(2026, 3, 2)),
            incident,
            UNOWNED,
            COMMAND,
        ),
        symptom_text("blue", "Checkout is slow", COMMAND),
        str(home_view(HomeState("U_ALICE", [incident] * 21, [], command=COMMAND)).to_dict()),
    ]
    for text in texts:
        assert COMMAND + " " in text and "/incident" not in text, text
