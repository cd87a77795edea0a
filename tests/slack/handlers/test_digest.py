"""The managers' digest as Slack shows it: Block Kit, the chart upload, the quiet week."""

from __future__ import annotations

import json
import struct

import pytest
from typer.testing import CliRunner

from firefighter import faults
from firefighter.bootstrap import register_digest, slack_context
from firefighter.cli import app as cli_app
from firefighter.cli.stats import post_digest_now
from firefighter.db import transaction
from firefighter.emulators.slack import blocks_text, validate_blocks
from firefighter.outbox import Message as OutboxMessage
from firefighter.schedules import enqueue_digest
from firefighter.slack.client import make_client
from firefighter.slack.handlers.digest import DigestPoster
from firefighter.slack.listeners.commands.stats import stats_reply
from tests.conftest import FakeClock
from tests.slack.conftest import Bot
from tests.stats.history import END, SECRET_TITLE, play


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_weekly_digest_with_figures_links_and_a_chart(bot: Bot, clock: FakeClock) -> None:
    ids = play(bot.core, clock).ids
    bot.settle()  # the incidents get their channels
    client = make_client(bot.core.settings)
    register_digest(bot.dispatcher, bot.core, client)
    with transaction(bot.core.factory) as session:
        item_id = enqueue_digest(session, end=END, now=END, reason="schedule")
    before = len(bot.emulator.messages(bot.incidents_channel))
    bot.settle()

    posted = bot.emulator.messages(bot.incidents_channel)[before:]
    digest = next(m for m in posted if m.blocks)
    assert validate_blocks(digest.blocks) == []
    assert len(digest.blocks) <= 50
    text = blocks_text(digest.blocks)
    assert digest.blocks[0]["text"]["text"] == "Incident digest · 9 Mar – 16 Mar 2026"
    assert "*5* declared (↑ 25% vs the previous 7 days)" in text
    assert "*4* closed (↑ 300%)" in text
    assert "Time to mitigate: p50 *2h 00m* (↑ 100%) · p90 *7d 0h*" in text
    assert "*Post-mortems overdue*: 1" in text
    assert "payments 2 · web 1" in text and "api 7d 5h" in text
    assert "unclassified 3 · change or deploy 1" in text
    assert "1 drill (not counted above)" in text
    channel_a = bot.incident(ids["A"]).channel_id
    assert f"<#{channel_a}> · SEV1 · closed · lasted 2h 00m — Checkout down" in text
    assert f":lock: INC-{ids['E']} · SEV3 · investigating · open for 1d 12h · private" in text
    private_channel = bot.incident(ids["E"]).channel_id
    assert SECRET_TITLE not in text and f"<#{private_channel}>" not in text
    assert SECRET_TITLE not in digest.text

    [chart] = bot.emulator.uploaded_files
    assert chart.name == "incidents-2026-03-16.png" and chart.completed
    assert bot.incidents_channel in chart.channels
    assert png_size(chart.content) == (900, 520)

    # A redelivery (the worker died before recording success) posts nothing twice.
    DigestPoster(bot.core.settings, bot.core.factory, bot.core.service.clock, client)(
        OutboxMessage(item_id, "digest.post", {"days": 7, "end": END.isoformat()}, None, 1)
    )
    assert len(bot.emulator.messages(bot.incidents_channel)) == before + len(posted)
    assert len(bot.emulator.uploaded_files) == 1


def test_quiet_week_gets_a_short_digest_and_no_chart(bot: Bot) -> None:
    assert post_digest_now(bot.core, days=7, timeout=10) is None
    [digest] = [m for m in bot.emulator.messages(bot.incidents_channel) if m.blocks]
    assert validate_blocks(digest.blocks) == []
    assert len(digest.blocks) == 3
    assert "*Quiet week*: no incident declared from 23 Feb – 2 Mar 2026." in blocks_text(
        digest.blocks
    )
    assert bot.emulator.uploaded_files == []


def test_incident_stats_reply(bot: Bot, clock: FakeClock) -> None:
    play(bot.core, clock)
    text, blocks = stats_reply(slack_context(bot.core, make_client(bot.core.settings)), "30d")
    assert validate_blocks(blocks) == []
    assert text.startswith("Incidents, last 30 days · 14 Feb – 16 Mar 2026: 9 declared")
    assert SECRET_TITLE not in json.dumps(blocks)
    warning, none = stats_reply(slack_context(bot.core, make_client(bot.core.settings)), "12d")
    assert warning.startswith(":warning: Say which period: 7d, 30d, 90d") and none == []


def test_cli_stats_json_and_digest(bot: Bot, clock: FakeClock) -> None:
    play(bot.core, clock)
    settings = bot.core.settings
    env = {
        "DATABASE_URL": settings.database_url,
        "SLACK_BOT_TOKEN": settings.slack_bot_token or "",
        "SLACK_API_URL": settings.slack_api_url,
        "FIREFIGHTER_INCIDENTS_CHANNEL": bot.incidents_channel,
        "COLUMNS": "200",
    }
    runner = CliRunner()
    result = runner.invoke(cli_app, ["stats", "--days", "90", "--format", "json"], env=env)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # The CLI reads the real clock, long after this history; what is open is the same.
    assert data["days"] == 90
    assert data["open_now"]["by_status"] == {"open": 1, "investigating": 1, "mitigated": 3}
    assert data["postmortems_overdue"]["total"] == 5  # A, B, C, D and L; never the drill
    assert SECRET_TITLE not in result.stdout
    result = runner.invoke(cli_app, ["stats", "--format", "xml"], env=env)
    assert result.exit_code == 2 and "--format is table or json" in result.stderr
    before = len(bot.emulator.messages(bot.incidents_channel))
    result = runner.invoke(cli_app, ["digest", "--days", "30"], env=env)
    assert result.exit_code == 0, result.stderr
    assert f"posted to channel {bot.incidents_channel}" in result.stdout
    [posted] = bot.emulator.messages(bot.incidents_channel)[before:]
    assert posted.text.startswith("Incident digest · ")


class WorkerDied(BaseException):
    """Ends a delivery as SIGKILL does: nothing after the Slack call is recorded."""


def test_a_worker_killed_between_posting_the_digest_and_recording_it_posts_one_digest(
    bot: Bot,
) -> None:
    client = make_client(bot.core.settings)
    core = bot.core
    poster = DigestPoster(core.settings, core.factory, core.service.clock, client, core.faults)
    message = OutboxMessage(77, "digest.post", {"days": 7}, None, 0)
    died: list[str] = []

    def dying(key: str) -> None:
        if key.startswith("digest:") and not died:
            died.append(key)
            raise WorkerDied(key)

    core.faults.arm(faults.POSTED_UNMARKED, dying)
    with pytest.raises(WorkerDied):
        poster(message)
    poster(message)  # the lease ran out: another worker delivers the item again
    poster(message)  # and once more, as if that one died before recording the outcome
    digests = [m for m in bot.emulator.messages(bot.incidents_channel) if m.blocks]
    assert died == ["digest:77"] and len(digests) == 1
