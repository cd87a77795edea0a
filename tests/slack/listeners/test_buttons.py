"""Buttons and the severity menu on the card and the announcement."""

from __future__ import annotations

import re

from firefighter.emulators.slack import Message, blocks_text
from tests.slack.conftest import Bot, buttons

# What a person reads as the status: the card's Status field, the announcement's summary line
# (button labels and values name other statuses, so the whole message proves nothing).
SHOWN_STATUS = re.compile(r"\*Status\*\n(?::[a-z_]+: )?(\w+)|· (?::[a-z_]+: )?(\w+) · commander")


def shown_status(message: Message) -> str:
    """The status the card or announcement shows."""
    found = SHOWN_STATUS.search(blocks_text(message.blocks))
    assert found is not None, blocks_text(message.blocks)
    return found.group(1) or found.group(2)


def test_each_status_button_moves_and_redraws_both_messages(bot: Bot) -> None:
    incident = bot.declare(severity="SEV3")
    for status, where in (
        ("investigating", "card"),
        ("mitigating", "announcement"),
        ("mitigated", "card"),
        ("closed", "announcement"),
    ):
        message = bot.card(incident) if where == "card" else bot.announcement(incident)
        edits = [len(bot.card(incident).edits), len(bot.announcement(incident).edits)]
        answer = bot.driver.click(message.channel_id, message.ts, f"status:{status}", "U_ALICE")
        assert answer.status == 200
        bot.settle()
        assert bot.incident(incident.id).status == status
        for redrawn, before in zip(
            (bot.card(incident), bot.announcement(incident)), edits, strict=True
        ):
            assert shown_status(redrawn) == status
            assert len(redrawn.edits) > before, "the message was not updated in place"
    assert buttons(bot.card(incident)) == []
    assert len(bot.emulator.messages(bot.incidents_channel)) == 1  # never reposted


def test_buttons_follow_the_allowed_next_states(bot: Bot) -> None:
    incident = bot.declare(severity="SEV2")
    bot.in_channel(incident, "mitigated")
    bot.settle()
    assert buttons(bot.card(incident)) == ["postmortem", "reopen…"]
    bot.in_channel(incident, "postmortem")
    bot.settle()
    assert buttons(bot.card(incident)) == ["closed"]


def test_severity_menu(bot: Bot) -> None:
    incident = bot.declare(severity="SEV3")
    card = bot.card(incident)
    bot.driver.select(card.channel_id, card.ts, "severity", "SEV2", "U_BOB")
    bot.settle()
    assert bot.incident(incident.id).severity == "SEV2"
    assert "SEV2" in bot.emulator.channel(incident.channel_id or "").topic


def test_a_stale_click_changes_nothing_and_says_why(bot: Bot) -> None:
    incident = bot.declare(severity="SEV3")
    stale = bot.card(incident)
    bot.in_channel(incident, "mitigating", "U_CAROL")  # someone moves it; card not yet redrawn
    before = bot.incident(incident.id)
    answer = bot.driver.click(stale.channel_id, stale.ts, "status:investigating", "U_BOB")
    assert answer.status == 200
    after = bot.incident(incident.id)
    assert (after.status, after.version) == (before.status, before.version)
    said = [r for r in bot.emulator.responses if "changed since you looked" in str(r.payload)]
    assert said and "it is now mitigating" in str(said[-1].payload)
    assert said[-1].payload.get("response_type") == "ephemeral"


def test_the_same_click_delivered_twice_changes_once(bot: Bot) -> None:
    incident = bot.declare(severity="SEV3")
    card = bot.card(incident)
    first = bot.driver.click(card.channel_id, card.ts, "status:investigating", "U_BOB")
    assert first.status == 200
    again = bot.driver.redeliver()
    assert again.status == 200
    fresh = bot.incident(incident.id)
    assert fresh.status == "investigating" and fresh.version == incident.version + 1
    assert not [r for r in bot.emulator.responses if "changed since" in str(r.payload)]


def test_early_close_and_reopen_dialogs(bot: Bot) -> None:
    incident = bot.declare(severity="SEV4")
    card = bot.card(incident)
    bot.driver.click(card.channel_id, card.ts, "close_dialog", "U_ALICE")
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None and view.callback_id == "close"
    bot.driver.submit_view("U_ALICE", {"reason": "external"})
    assert bot.incident(incident.id).closure_reason == "external"

    other = bot.declare(title="Flapping", severity="SEV4")
    bot.in_channel(other, "mitigated")
    bot.settle()
    card = bot.card(other)
    bot.driver.click(card.channel_id, card.ts, "reopen_dialog", "U_ALICE")
    answer = bot.driver.submit_view("U_ALICE", {"reason": "  "})
    assert answer.json is not None and answer.json["response_action"] == "errors"
    bot.driver.submit_view("U_ALICE", {"reason": "flapping again", "target": "mitigating"})
    assert bot.incident(other.id).status == "mitigating"
