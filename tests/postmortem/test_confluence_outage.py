"""Confluence failing never freezes an incident; the page converges, closed, once it is back."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from firefighter.bootstrap import Core
from firefighter.emulators.slack import blocks_text
from firefighter.incidents.models import Incident
from tests.conftest import FakeClock
from tests.postmortem.conftest import TOKEN, USER, Confluence
from tests.slack.conftest import Bot


@pytest.fixture
def on_confluence(core: Core, confluence: Confluence) -> Confluence:
    """Post-mortems go to the emulator (set before the bot is built)."""
    settings = core.settings
    settings.confluence_url = confluence.url
    settings.confluence_username = USER
    settings.confluence_api_token = TOKEN
    settings.confluence_space = "ENG"
    settings.confluence_parent_page_id = confluence.parent_id
    return confluence


def ours(confluence: Confluence) -> list:  # type: ignore[type-arg]
    return [p for p in confluence.children(confluence.parent_id) if p.title.startswith("INC-")]


def move(bot: Bot, incident: Incident, command: str, status: str) -> float:
    """Type `command` in the channel; seconds until the card and the channel show `status`."""
    started, wall = time.monotonic(), time.time()
    if command.startswith("click:"):
        card = bot.card(incident)
        answer = bot.driver.click(card.channel_id, card.ts, command[6:], "U_BOB")
    else:
        answer = bot.in_channel(incident, command, "U_BOB")
    assert answer.status == 200
    bot.settle()
    assert bot.incident(incident.id).status == status
    assert status in blocks_text(bot.card(incident).blocks).lower()
    channel = bot.incident(incident.id).channel_id or ""
    said = [m.text for m in bot.emulator.messages(channel) if m.posted_at >= wall]
    assert any(status in text for text in said), said
    return time.monotonic() - started


def test_confluence_down_during_the_export_and_the_close(
    on_confluence: Confluence, bot: Bot, clock: FakeClock
) -> None:
    confluence = on_confluence
    clock.tick = timedelta(0)  # a retry waits until the test moves time on
    incident = bot.declare(severity="SEV2")
    bot.in_channel(incident, "role commander <@U_BOB>")
    bot.settle()
    confluence.outage(503)
    waits = [
        move(bot, incident, "click:status:investigating", "investigating"),
        move(bot, incident, "click:status:mitigating", "mitigating"),
        move(bot, incident, "click:status:mitigated", "mitigated"),
        move(bot, incident, "postmortem", "postmortem"),
        move(bot, incident, "close", "closed"),
    ]
    assert max(waits) < 5, waits
    assert ours(confluence) == [] and bot.incident(incident.id).postmortem_url is None
    channel = bot.incident(incident.id).channel_id or ""
    delayed = [m for m in bot.emulator.messages(channel) if "is delayed" in m.text]
    assert len(delayed) == 1  # said once, not once per retry

    confluence.recover()
    for _ in range(3):
        clock.advance(minutes=30)
        bot.settle()
    [page] = ours(confluence)
    assert "not closed yet" not in page.body and "so far" not in page.body
    assert "resolved" in page.body and "closed" in page.body.lower()
    fresh = bot.incident(incident.id)
    assert fresh.postmortem_url and fresh.status == "closed"
    linked = [m for m in bot.emulator.messages(channel) if fresh.postmortem_url in m.text]
    assert linked, "the channel was never told where the post-mortem is"


def test_closing_re_exports_once_keeping_the_authors_part(
    on_confluence: Confluence, bot: Bot
) -> None:
    confluence = on_confluence
    incident = bot.declare(severity="SEV2")
    for status in ("investigating", "mitigating", "mitigated", "postmortem"):
        bot.in_channel(incident, status)
    bot.settle()
    [page] = ours(confluence)
    assert "not closed yet" in page.body
    written = page.body.replace(
        "<h2>Root causes</h2>", "<h2>Root causes</h2><p>The flag &amp; its default.</p>"
    )
    confluence.edit_page(page.id, written)
    versions = page.version

    assert "closed" in bot.reply_text(bot.in_channel(incident, "close"))
    bot.settle()
    bot.settle()
    [page] = ours(confluence)
    assert page.version == versions + 1  # one more version, the same page
    assert "The flag &amp; its default." in page.body
    assert "not closed yet" not in page.body and "resolved" in page.body
