"""A whole Game Day in Slack: two teams, drills injected on schedule, one board, the report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest

from firefighter import faults
from firefighter.emulators.slack import Message, blocks_text
from firefighter.incidents.models import Incident
from tests.conftest import FakeClock
from tests.gameday.helpers import two_teams
from tests.slack.conftest import PEOPLE, Bot

NAMESPACES = (
    'xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier"'
)


@pytest.fixture
def game(bot: Bot, clock: FakeClock) -> Bot:
    """The bot with a Game Day channel, the blue user group, the Game Day handlers, and a
    clock that only moves when the test says so."""
    clock.tick = timedelta(0)
    bot.core.settings.gameday_channel = bot.emulator.add_channel("gameday", members=list(PEOPLE))
    bot.emulator.add_usergroup("S_BLUE", "blue", ["U_CAROL"])
    return bot


def tick(bot: Bot) -> None:
    """One pass of the Game Day tick, then the worker delivers what it decided."""
    bot.core.gamedays().tick()
    bot.settle()


def drill(bot: Bot, number: int) -> Incident:
    """The drill injected for scenario `number` (1-based)."""
    found = bot.core.gamedays().board(1).drills
    return bot.incident(found[number - 1].incident_id)


def board_messages(bot: Bot) -> list[Message]:
    channel = bot.core.settings.gameday_channel or ""
    return [m for m in bot.emulator.messages(channel) if "🏆" in blocks_text(m.blocks)]


def said(bot: Bot, channel: str) -> str:
    return "\n".join(m.text for m in bot.emulator.messages(channel) if m.user == "UBOT")


def test_a_game_day_with_two_teams(game: Bot, clock: FakeClock) -> None:
    bot = game
    gameday_channel = bot.core.settings.gameday_channel or ""
    bot.core.gamedays().load(two_teams(), source="test.yaml", actor=None)

    refused = bot.command("gameday start Test day", "U_ALICE", gameday_channel)
    assert "Only the facilitators of this Game Day (<@U_DAVE>) may start it" in bot.reply_text(
        refused
    )
    started = bot.command("gameday start Test day", "U_DAVE", gameday_channel)
    assert "Game Day *Test day* started (informed mode): 2 scenarios" in bot.reply_text(started)
    tick(bot)

    # Informed mode: every player is told the theme of their team, in a direct message.
    themes = {
        c.args["channel"]: c.args["text"]
        for c in bot.emulator.calls_to("chat.postMessage")
        if "about to start" in str(c.args.get("text"))
    }
    assert len(themes) == 3
    assert sum("*Checkout*" in text for text in themes.values()) == 2
    assert sum("*Search*" in text for text in themes.values()) == 1

    red = drill(bot, 1)
    channel = bot.emulator.channel(red.channel_id or "")
    assert red.drill and channel.name == "drill-20260302-1-checkout-answers-502"
    assert {"U_ALICE", "U_BOB", "U_DAVE"} <= channel.members and "U_CAROL" not in channel.members
    assert "What you see:* Synthetic checks fail on /checkout." in said(bot, channel.id)

    clock.advance(minutes=2)
    bot.in_channel(red, "role commander <@U_ALICE|alice>", "U_ALICE")
    bot.in_channel(red, "role comms <@U_BOB|bob>", "U_ALICE")
    bot.in_channel(red, "role scribe <@U_ALICE|alice>", "U_BOB")
    clock.advance(minutes=1)
    bot.in_channel(red, "update Looking at the deploys.", "U_ALICE")
    tick(bot)
    clock.advance(minutes=2)  # +5 min: the first hint is due
    tick(bot)
    assert "Hint 1: Look at the 09:00 deploy." in said(bot, channel.id)
    clock.advance(minutes=4)
    bot.in_channel(red, "update Rolling back the deploy.", "U_ALICE")

    clock.advance(minutes=1)  # +10 min: blue's drill is injected
    tick(bot)
    blue = drill(bot, 2)
    assert bot.emulator.channel(blue.channel_id or "").members >= {"U_CAROL", "U_DAVE"}
    clock.advance(minutes=5)  # red +15, blue +5
    bot.in_channel(red, "mitigated", "U_ALICE")
    bot.in_channel(red, "postmortem", "U_ALICE")
    tick(bot)
    assert bot.incident(red.id).postmortem_url is not None
    bot.in_channel(red, "close", "U_ALICE")
    clock.advance(minutes=3)  # blue +8
    bot.in_channel(blue, "update Looking at the indexer.", "U_CAROL")
    bot.in_channel(blue, "role commander <@U_CAROL|carol>", "U_CAROL")
    tick(bot)
    clock.advance(minutes=22)  # blue +30: its hint is released
    tick(bot)
    assert "Hint 1: The indexer is stuck on one message." in said(bot, blue.channel_id or "")
    clock.advance(minutes=5)  # blue +35: mitigated late (expected 20 min)
    bot.in_channel(blue, "mitigated", "U_CAROL")
    bot.in_channel(blue, "close", "U_CAROL")
    tick(bot)  # every drill is closed: the Game Day ends

    board = bot.core.gamedays().board(1)
    assert board.status == "ended"
    scores = {t.team: {d.reference: d.score.points for d in t.drills} for t in board.teams}
    assert scores == {
        "red": {
            red.reference: {
                "acknowledge": 20,  # commander after 2 min
                "mitigate": 40,  # 15 min, expected 30
                "updates": 15,  # longest silence 6 min, cadence 10
                "roles": 10,
                "postmortem": 15,
            }
        },
        "blue": {
            blue.reference: {
                "acknowledge": 10,  # first update after 8 min
                "mitigate": 15,  # 35 min, between 1.5× and 2× the expected 20
                "updates": 3,  # 27 min of silence before mitigation
                "roles": 4,  # commander only
                "postmortem": 0,
            }
        },
    }

    # One scoreboard message, redrawn in place, ending with the final scores and the rules.
    boards = board_messages(bot)
    assert len(boards) == 1
    final = blocks_text(boards[0].blocks)
    assert "Test day: final scores" in final
    # Each team released one hint before mitigating: 5 points off its 100 and 32.
    assert "*red* — *95 pts*" in final and "*blue* — *27 pts*" in final
    assert "hints −5" in final
    assert final.index("*red*") < final.index("*blue*")
    assert "How points are counted" in final and "Post-mortem published: 15 pts." in final
    assert len(boards[0].edits) >= 5
    updates = [c for c in bot.emulator.calls_to("chat.update") if c.args.get("ts") == boards[0].ts]
    assert len(updates) == len(boards[0].edits)

    # The end: the truth in each drill channel, a chart, and the report linked.
    assert "What really happened: The deploy set a 300 ms timeout &lt;!channel&gt;." in said(
        bot, red.channel_id or ""
    )
    assert "What really happened: A poison message" in said(bot, blue.channel_id or "")
    charts = [f for f in bot.emulator.uploaded_files if f.name == "gameday-1-scores.png"]
    assert len(charts) == 1 and charts[0].content.startswith(b"\x89PNG")
    assert gameday_channel in charts[0].channels
    link = [m.text for m in bot.emulator.messages(gameday_channel) if "report" in m.text]
    assert len(link) == 1 and "Winner: *red* with 95 pts" in link[0]

    # Drills never reach the real incidents channel.
    assert bot.emulator.messages(bot.incidents_channel) == []

    report_url = bot.core.gamedays().get(1).report_url or ""
    html = Path(urlparse(report_url).path)
    storage = html.with_name("GAMEDAY-1.storage.xml").read_text()
    root = ET.fromstring(f"<root {NAMESPACES}>{storage}</root>")
    headings = [h.text for h in root.iter("h2")]
    assert headings[:3] == [
        "Scores",
        "Scenario 1: Checkout answers 502",
        "Scenario 2: Search is stale",
    ]
    assert "Lessons learned" in headings
    text = "".join(root.itertext())
    assert "The deploy set a 300 ms timeout <!channel>." in text
    assert "Look at the 09:00 deploy." in text


def test_stop_ends_a_game_day_early(game: Bot, clock: FakeClock) -> None:
    bot = game
    gameday_channel = bot.core.settings.gameday_channel or ""
    answer = bot.command("gameday stop", "U_DAVE", gameday_channel)
    assert bot.reply_text(answer) == ":warning: No Game Day is running."
    bot.core.gamedays().load(two_teams(), source="test.yaml", actor=None)
    bot.command("gameday start test DAY", "U_DAVE", gameday_channel)
    tick(bot)
    again = bot.command("gameday start Test day", "U_DAVE", gameday_channel)
    assert "Game Day 'Test day' is running; stop it first" in bot.reply_text(again)

    red = drill(bot, 1)
    stopped = bot.command("gameday stop", "U_DAVE", gameday_channel)
    assert "Game Day *Test day* is over" in bot.reply_text(stopped)
    bot.settle()
    clock.advance(minutes=30)
    tick(bot)  # nothing more is injected once stopped
    assert len(bot.core.gamedays().board(1).drills) == 1

    assert "What really happened" in said(bot, red.channel_id or "")
    boards = board_messages(bot)
    assert len(boards) == 1 and "final scores" in blocks_text(boards[0].blocks)
    assert "1 of 2 drills injected" in blocks_text(boards[0].blocks)
    storage = (bot.core.settings.postmortem_dir / "GAMEDAY-1.storage.xml").read_text()
    assert "Scenarios not played" in storage and "Search is stale" in storage


class WorkerDied(BaseException):
    """Ends a delivery as SIGKILL does: nothing after the Slack call is recorded."""


def test_a_worker_killed_between_posting_the_board_and_recording_it_posts_one_board(
    game: Bot, clock: FakeClock
) -> None:
    bot = game
    gameday_channel = bot.core.settings.gameday_channel or ""
    bot.core.gamedays().load(two_teams(), source="test.yaml", actor=None)
    died: list[int] = []

    def dying(gameday_id: str) -> None:
        if not died:
            died.append(int(gameday_id))
            raise WorkerDied("after chat.postMessage, before the board's ts is stored")

    bot.core.faults.arm(faults.BOARD_POSTED, dying)
    bot.command("gameday start Test day", "U_DAVE", gameday_channel)
    with pytest.raises(WorkerDied):
        bot.settle()
    assert len(board_messages(bot)) == 1
    clock.advance(seconds=bot.core.settings.outbox_lease_seconds + 1)  # the lease runs out
    bot.settle()
    boards = board_messages(bot)
    assert died == [1] and len(boards) == 1
    assert bot.core.gamedays().board(1).board_ts == boards[0].ts
