"""The conversation becomes the record: 📌 and shortcuts pin messages, declare from one."""

from __future__ import annotations

from typing import Any

from firefighter.incidents import queries
from firefighter.incidents.models import Incident, TimelineEvent
from tests.slack.conftest import Bot


def messages_of(bot: Bot, incident: Incident) -> list[TimelineEvent]:
    with bot.core.factory() as session:
        return [e for e in queries.timeline(session, incident.id) if e.kind == "message"]


def channel_of(bot: Bot, incident: Incident) -> str:
    channel = bot.incident(incident.id).channel_id
    assert channel
    return channel


def said_privately(bot: Bot, user: str) -> list[str]:
    """What the bot told `user` alone (ephemeral posts and response_url answers)."""
    person = bot.emulator.user(user)
    names = {user, person.name if person else user}
    return [e.text for e in bot.emulator.transcript() if e.audience in names]


def test_a_pushpin_adds_the_message_once_however_many_pin_it(bot: Bot) -> None:
    incident = bot.declare()
    channel = channel_of(bot, incident)
    bot.emulator.add_member(channel, "U_BOB")
    posted = bot.emulator.post_user_message(channel, "U_BOB", "Rolled back to v41 at 14:05")

    assert bot.driver.reaction(channel, posted.ts, "U_ALICE").status == 200
    assert bot.driver.reaction(channel, posted.ts, "U_BOB").status == 200
    bot.settle()

    [entry] = messages_of(bot, incident)
    assert entry.text == "Rolled back to v41 at 14:05"
    assert entry.actor == "U_BOB"  # the author, not who pinned it
    assert entry.data["pinned_by"] == "U_ALICE"
    assert entry.data["permalink"].startswith("https://")
    assert bot.emulator.reactions_on(channel, posted.ts)["white_check_mark"] == ["UBOT"]


def test_other_reactions_and_pins_outside_incidents_do_nothing(bot: Bot) -> None:
    incident = bot.declare()
    channel = channel_of(bot, incident)
    posted = bot.emulator.post_user_message(channel, "U_ALICE", "graph attached")
    bot.driver.reaction(channel, posted.ts, "U_ALICE", name="eyes")
    elsewhere = bot.emulator.post_user_message(bot.incidents_channel, "U_ALICE", "lunch?")
    bot.driver.reaction(bot.incidents_channel, elsewhere.ts, "U_ALICE")
    assert messages_of(bot, incident) == []


def test_a_reply_in_a_thread_can_be_pinned(bot: Bot) -> None:
    incident = bot.declare()
    channel = channel_of(bot, incident)
    parent = bot.emulator.post_user_message(channel, "U_ALICE", "What do we know?")
    reply = bot.emulator.post_user_message(channel, "U_ALICE", "Errors began at 13:58", parent.ts)
    bot.driver.reaction(channel, reply.ts, "U_ALICE")
    [entry] = messages_of(bot, incident)
    assert entry.text == "Errors began at 13:58"
    assert entry.data["thread_ts"] == parent.ts


def test_the_bots_own_message_is_refused_in_one_private_sentence(bot: Bot) -> None:
    incident = bot.declare()
    card = bot.card(incident)
    bot.driver.reaction(channel_of(bot, incident), card.ts, "U_ALICE")
    assert messages_of(bot, incident) == []
    assert any("FireFighter's own messages" in text for text in said_privately(bot, "U_ALICE"))


def test_the_shortcut_in_an_incident_channel_adds_directly(bot: Bot) -> None:
    incident = bot.declare()
    channel = channel_of(bot, incident)
    posted = bot.emulator.post_user_message(channel, "U_ALICE", "", files=["latency.png"])
    answer = bot.driver.message_shortcut("add_to_timeline", channel, posted.ts, "U_ALICE")
    assert answer.status == 200
    [entry] = messages_of(bot, incident)
    assert entry.text == "Shared latency.png"  # a file alone still makes an entry
    assert entry.data["files"] == ["latency.png"]
    assert any("Added to the timeline of INC-1" in text for text in said_privately(bot, "U_ALICE"))


def test_the_shortcut_elsewhere_asks_which_incident(bot: Bot) -> None:
    bot.declare("Checkout is down")
    second = bot.declare("Search is slow", severity="SEV3")
    support = bot.emulator.add_channel("support", members=["U_ALICE", "U_CAROL"])
    report = bot.emulator.post_user_message(support, "U_CAROL", "Customer: search takes 30 s")

    bot.driver.message_shortcut("add_to_timeline", support, report.ts, "U_ALICE")
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None and view.callback_id == "add_to_timeline_pick"
    answer = bot.driver.submit_view("U_ALICE", {"incident": str(second.id)})
    assert answer.status == 200 and not answer.body.strip(), answer.body

    [entry] = messages_of(bot, second)
    assert entry.text == "Customer: search takes 30 s" and entry.actor == "U_CAROL"


def test_a_channel_the_bot_is_not_in_is_refused_and_nothing_is_written(bot: Bot) -> None:
    incident = bot.declare()
    secret = bot.emulator.add_channel(
        "secret", is_private=True, members=["U_ALICE"], bot_member=False
    )
    posted = bot.emulator.post_user_message(secret, "U_ALICE", "the root cause")
    bot.driver.message_shortcut("add_to_timeline", secret, posted.ts, "U_ALICE")
    assert messages_of(bot, incident) == []
    assert bot.emulator.latest_view("U_ALICE") is None or (
        bot.emulator.latest_view("U_ALICE").callback_id != "add_to_timeline_pick"  # type: ignore[union-attr]
    )
    assert any("/invite @FireFighter" in text for text in said_privately(bot, "U_ALICE"))


def test_declare_from_a_message_prefills_replies_in_thread_and_opens_the_timeline(
    bot: Bot,
) -> None:
    support = bot.emulator.add_channel("support", members=["U_ALICE", "U_CAROL"])
    long_line = "Checkout fails for every card payment " + "x" * 300
    report = bot.emulator.post_user_message(support, "U_CAROL", f"{long_line}\nSince 14:02.")

    bot.driver.message_shortcut("declare_from_message", support, report.ts, "U_ALICE")
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None and view.callback_id == "declare_from_message"
    initial: dict[str, Any] = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view.view["blocks"]
        if b.get("type") == "input"
    }
    assert initial["title"].startswith("Checkout fails for every card payment")
    assert len(initial["title"]) == 200 and initial["title"].endswith("…")
    assert "Since 14:02." in initial["description"]
    assert "https://emulated.slack.com/archives/" in initial["description"]

    answer = bot.driver.submit_view("U_ALICE", {"severity": "SEV2"})
    assert answer.status == 200 and not answer.body.strip(), answer.body
    bot.settle()

    incident = bot.incident(1)
    with bot.core.factory() as session:
        first = queries.timeline(session, incident.id)[0]
    assert first.kind == "message" and first.actor == "U_CAROL"
    replies = [
        m
        for m in bot.emulator.messages(support, include_replies=True)
        if m.thread_ts == report.ts and m.is_reply
    ]
    assert len(replies) == 1
    assert "INC-1" in replies[0].text and f"<#{incident.channel_id}>" in replies[0].text
