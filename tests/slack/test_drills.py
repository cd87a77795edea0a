"""Drills: declared from the modal or `/incident drill`, kept away from the real incident flow."""

from __future__ import annotations

from firefighter.emulators.slack import blocks_text
from firefighter.stats import measure
from tests.slack.conftest import PEOPLE, Bot


def bot_messages(bot: Bot, channel: str) -> list[str]:
    """What the bot posted in a channel, text and blocks together."""
    return [
        f"{m.text}\n{blocks_text(m.blocks)}"
        for m in bot.emulator.messages(channel, include_replies=True)
        if m.user == "UBOT"
    ]


def test_a_drill_never_reaches_the_real_incidents_channel(bot: Bot) -> None:
    gameday = bot.emulator.add_channel("gameday", members=list(PEOPLE))
    bot.core.settings.gameday_channel = gameday
    # Responders are paged for real incidents, never for drills.
    bot.core.settings.responders = {"*": ["U_CAROL"]}

    opened = bot.command("drill Fire in the lab", "U_ALICE")
    assert opened.status == 200
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None
    options = next(b for b in view.view["blocks"] if b.get("block_id") == "options")
    assert [o["value"] for o in options["element"]["initial_options"]] == ["drill"]
    answer = bot.driver.submit_view("U_ALICE", {"severity": "SEV1"})
    assert answer.status == 200 and not answer.body.strip(), answer.body
    bot.settle()

    drill = bot.incident(1)
    assert drill.drill
    channel = bot.emulator.channel(drill.channel_id or "")
    assert channel.name == "drill-20260302-1-fire-in-the-lab"
    assert "U_CAROL" not in channel.members

    bot.in_channel(drill, "update Smoke is coming from the server room.")
    bot.in_channel(drill, "role comms <@U_BOB|bob>")
    bot.in_channel(drill, "mitigated")
    bot.settle()

    posted = bot_messages(bot, channel.id)
    assert len(posted) == 4  # the card, the update, the role, the move
    assert all("DRILL" in message for message in posted), posted
    # Announced in the Game Day channel only, its updates in the announcement's thread.
    in_gameday = bot_messages(bot, gameday)
    assert all("DRILL" in message for message in in_gameday)
    announcements = bot.emulator.messages(gameday)
    assert len(announcements) == 1 and "[DRILL] INC-1: Fire in the lab" in announcements[0].text
    assert bot.emulator.messages(bot.incidents_channel) == []

    real = bot.declare(title="Checkout is down", severity="SEV2", user="U_BOB")
    assert not real.drill
    assert bot.emulator.channel(real.channel_id or "").name.startswith("inc-20260302-2-")
    assert "U_CAROL" in bot.emulator.channel(real.channel_id or "").members
    assert len(bot.emulator.messages(bot.incidents_channel)) == 1
    assert len(bot.emulator.messages(gameday)) == 1

    # The drill stays out of the real metrics and is counted on its own.
    figures = measure(bot.core, days=7).current
    assert figures.declared_total == 1 and figures.drills == 1


def test_the_declare_form_offers_a_drill_option(bot: Bot) -> None:
    bot.command("declare Practice failover")
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None
    options = next(b for b in view.view["blocks"] if b.get("block_id") == "options")
    assert [o["value"] for o in options["element"]["options"]] == ["private", "drill"]
    assert "initial_options" not in options["element"]

    bot.driver.submit_view("U_ALICE", {"severity": "SEV3", "options": ["drill"]})
    bot.settle()
    drill = bot.incident(1)
    assert drill.drill and drill.announcement_ts is None  # no Game Day channel configured
    assert bot.emulator.messages(bot.incidents_channel) == []
    assert bot.emulator.channel(drill.channel_id or "").name.startswith("drill-")
