"""Declaring through the modal: channel, invitations, topic, pinned card, announcement."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from firefighter.incidents import queries
from firefighter.incidents.models import Incident
from tests.slack.conftest import Bot, buttons
from tests.slack.test_hostile_slack import submit


def test_declare_opens_a_channel_with_card_and_announcement(bot: Bot) -> None:
    opened = bot.command("declare Checkout returns 502")
    assert opened.status == 200
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None and view.callback_id == "declare"
    title_input = next(b for b in view.view["blocks"] if b.get("block_id") == "title")
    assert title_input["element"]["initial_value"] == "Checkout returns 502"

    answer = bot.driver.submit_view(
        "U_ALICE",
        {"severity": "SEV1", "description": "Payments 502 since 14:02", "component": "payments"},
    )
    assert answer.status == 200 and answer.body.strip() == ""
    bot.settle()

    incident = bot.incident(1)
    assert incident.title == "Checkout returns 502"
    assert incident.severity == "SEV1" and incident.status == "open"
    assert incident.holder("commander") == "U_ALICE"
    channel = bot.emulator.channel(incident.channel_id or "")
    assert channel.name == "inc-20260302-1-checkout-returns-502"
    assert not channel.is_private
    assert "U_ALICE" in channel.members
    assert channel.topic.startswith("SEV1 · open · IC <@U_ALICE>")

    card = bot.card(incident)
    assert card.ts in channel.pins
    assert buttons(card) == ["investigating", "mitigating", "mitigated", "close…"]
    announcement = bot.announcement(incident)
    text = str(announcement.blocks)
    assert "Checkout returns 502" in text and f"<#{incident.channel_id}>" in text
    assert buttons(announcement) == buttons(card)


def test_modal_validation_errors_come_back_in_the_modal(bot: Bot) -> None:
    bot.command("declare")
    answer = bot.driver.submit_view("U_ALICE", {"title": "   ", "severity": "SEV3"})
    assert answer.json == {
        "response_action": "errors",
        "errors": {"title": "Give the incident a title: one line saying what is broken."},
    }
    answer = bot.driver.submit_view(
        "U_ALICE", {"title": "Disk full", "severity": "SEV3", "started_at": 4_102_444_800}
    )
    assert answer.json is not None and answer.json["response_action"] == "errors"
    assert "future" in answer.json["errors"]["started_at"]
    assert bot.settle() == 0  # nothing was declared


def test_the_core_s_refusals_show_under_the_field_it_names(bot: Bot) -> None:
    bot.command("declare")
    ahead = int((bot.core.service.clock() + timedelta(hours=2)).timestamp())
    answer = bot.driver.submit_view(
        "U_ALICE", {"title": "Disk full", "severity": "SEV3", "started_at": ahead}
    )
    assert answer.json == {
        "response_action": "errors",
        "errors": {"started_at": "The impact start time is in the future; give a past time."},
    }
    # A component the menu did not offer (Slack would refuse it; a forger posts it directly).
    values = {
        "title": {"title": {"type": "plain_text_input", "value": "Disk full"}},
        "severity": {"severity": {"type": "static_select", "selected_option": {"value": "SEV3"}}},
        "component": {
            "component": {"type": "static_select", "selected_option": {"value": "teapot"}}
        },
    }
    forged = submit("declare", "", values)(bot, 0)
    assert json.loads(forged.text) == {
        "response_action": "errors",
        "errors": {"component": "Pick one of the listed components."},
    }
    answer = bot.driver.submit_view(
        "U_ALICE", {"title": "Disk full", "severity": "SEV3", "description": "x" * 10_001}
    )
    assert answer.json == {
        "response_action": "errors",
        "errors": {"description": "The description is over 10,000 characters; shorten it."},
    }
    assert bot.settle() == 0  # nothing was declared


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Écoute: Zürich café ☕ down", "inc-20260302-1-ecoute-zurich-cafe-down"),
        ("🔥🔥🔥", "inc-20260302-1"),
        ("x" * 200, "inc-20260302-1-" + "x" * 62),
    ],
)
def test_channel_names_follow_slack_rules(bot: Bot, title: str, expected: str) -> None:
    incident = bot.declare(title=title)
    name = bot.emulator.channel(incident.channel_id or "").name
    assert name == expected
    assert len(name) <= 80


def test_name_taken_gets_a_suffix(bot: Bot) -> None:
    bot.emulator.add_channel("inc-20260302-1-db-down")
    incident = bot.declare(title="DB down")
    assert bot.emulator.channel(incident.channel_id or "").name == "inc-20260302-1-db-down-2"


def test_private_incident_is_neither_announced_nor_listed_to_others(bot: Bot) -> None:
    incident = bot.declare(title="Leaked token", options=["private"])
    assert incident.private
    channel = bot.emulator.channel(incident.channel_id or "")
    assert channel.is_private
    assert incident.announcement_ts is None
    assert all("Leaked token" not in m.text for m in bot.emulator.messages(bot.incidents_channel))
    assert "Leaked token" not in str(bot.command("list", "U_BOB").json)
    assert "Leaked token" in str(bot.command("list", "U_ALICE").json)


def test_the_same_submission_twice_gives_one_incident(bot: Bot) -> None:
    bot.command("declare Search is slow")
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None
    first = bot.driver.submit_view("U_ALICE", {"severity": "SEV3"}, view_id=view.id)
    second = bot.driver.submit_view("U_ALICE", {"severity": "SEV3"}, view_id=view.id)
    assert first.status == second.status == 200
    bot.settle()
    with bot.core.factory() as session:
        assert session.query(Incident).count() == 1
    assert len(bot.emulator.calls_to("conversations.create")) == 1
    assert bot.reply_text(bot.command("list")) == "1 open incident"


def test_responders_are_invited(bot: Bot) -> None:
    bot.emulator.add_usergroup("S_ONCALL", "oncall", ["U_CAROL", "U_DAVE"])
    bot.core.settings.responders = {"SEV1": ["S_ONCALL"], "payments": ["U_BOB"]}
    incident = bot.declare(title="Payments down", severity="SEV1", component="payments")
    members = bot.emulator.channel(incident.channel_id or "").members
    assert {"U_ALICE", "U_BOB", "U_CAROL", "U_DAVE"} <= set(members)


def test_a_joiner_sees_the_card_once_even_when_slack_retries_the_event(bot: Bot) -> None:
    incident = bot.declare(title="Queue stuck")
    bot.emulator.add_member(incident.channel_id or "", "U_DAVE")
    event = {"type": "member_joined_channel", "user": "U_DAVE", "channel": incident.channel_id}
    assert bot.driver.event(event, event_id="Ev0001").status == 200
    assert bot.driver.event(event, event_id="Ev0001", retry_num=1).status == 200
    bot.settle()
    welcomes = [m for m in bot.emulator.ephemerals("U_DAVE") if "Welcome to INC-1" in m.text]
    assert len(welcomes) == 1
    assert "Queue stuck" in str(welcomes[0].blocks)
    with bot.core.factory() as session:
        assert queries.is_member(session, incident.id, "U_DAVE")


def test_a_long_description_is_cut_to_slacks_limit(bot: Bot) -> None:
    incident = bot.core.service.declare(
        title="Long", severity="SEV4", actor="U_ALICE", description="word " * 2000
    )
    bot.settle()
    card = bot.card(incident)
    description = next(b for b in card.blocks if "word word" in str(b))
    assert len(description["text"]["text"]) == 3000
    assert description["text"]["text"].endswith("…")
