"""The message shortcut `create_followup`, through the Slack emulator."""

from __future__ import annotations

from typing import Any

from firefighter.incidents.followups import list_followups
from tests.slack.conftest import Bot


def said_privately(bot: Bot, user: str) -> list[str]:
    person = bot.emulator.user(user)
    names = {user, person.name if person else user}
    return [e.text for e in bot.emulator.transcript() if e.audience in names]


def initial_values(view: Any) -> dict[str, Any]:
    return {
        b["block_id"]: b["element"].get("initial_value")
        for b in view.view["blocks"]
        if b.get("type") == "input"
    }


def rows(bot: Bot) -> list[tuple[int, str, str | None]]:
    with bot.core.factory() as session:
        return [(f.incident_id, f.title, f.owner) for f in list_followups(session)]


def test_in_an_incident_channel_the_form_is_prefilled_with_the_first_line(bot: Bot) -> None:
    incident = bot.declare()
    channel = bot.incident(incident.id).channel_id or ""
    bot.emulator.add_member(channel, "U_BOB")
    long_line = "Add a circuit breaker to the payment client " + "x" * 300
    posted = bot.emulator.post_user_message(channel, "U_BOB", f"\n{long_line}\nbecause 14:02")

    answer = bot.driver.message_shortcut("create_followup", channel, posted.ts, "U_ALICE")
    assert answer.status == 200
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None and view.callback_id == "followup_create_form"
    title = initial_values(view)["title"]
    assert title.startswith("Add a circuit breaker") and title.endswith("…")
    assert len(title) == 250
    assert "incident" not in initial_values(view)  # no picker: the channel says which
    assert rows(bot) == []  # nothing written before the form is sent

    answer = bot.driver.submit_view("U_ALICE", {"owner": "U_BOB"})
    assert answer.status == 200 and not answer.body.strip(), answer.body
    assert rows(bot) == [(incident.id, title, "U_BOB")]


def test_elsewhere_the_form_asks_which_open_incident(bot: Bot) -> None:
    bot.declare("Checkout is down")
    second = bot.declare("Search is slow", severity="SEV3")
    support = bot.emulator.add_channel("support", members=["U_ALICE", "U_CAROL"])
    said = bot.emulator.post_user_message(support, "U_CAROL", "Index the search logs by shard")

    bot.driver.message_shortcut("create_followup", support, said.ts, "U_ALICE")
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None and view.callback_id == "followup_create_form"
    assert initial_values(view)["title"] == "Index the search logs by shard"
    options = [
        o["value"]
        for b in view.view["blocks"]
        if b.get("block_id") == "incident"
        for o in b["element"]["options"]
    ]
    assert sorted(options) == ["1", "2"]

    answer = bot.driver.submit_view("U_ALICE", {"incident": str(second.id)})
    assert answer.status == 200 and not answer.body.strip(), answer.body
    assert rows(bot) == [(second.id, "Index the search logs by shard", None)]


def test_a_private_incident_is_offered_only_to_its_members(bot: Bot) -> None:
    bot.declare("Checkout is down")
    bot.declare("Leaked token", options=["private"])
    support = bot.emulator.add_channel("support", members=["U_ALICE", "U_BOB"])
    said = bot.emulator.post_user_message(support, "U_BOB", "Rotate the deploy keys")
    bot.driver.message_shortcut("create_followup", support, said.ts, "U_BOB")
    view = bot.emulator.latest_view("U_BOB")
    assert view is not None
    [picker] = [b for b in view.view["blocks"] if b.get("block_id") == "incident"]
    assert [o["value"] for o in picker["element"]["options"]] == ["1"]


def test_no_open_incident_says_so_and_opens_nothing(bot: Bot) -> None:
    support = bot.emulator.add_channel("support", members=["U_ALICE"])
    said = bot.emulator.post_user_message(support, "U_ALICE", "Fix the runbook")
    bot.driver.message_shortcut("create_followup", support, said.ts, "U_ALICE")
    assert bot.emulator.latest_view("U_ALICE") is None
    assert any("no open incident" in text for text in said_privately(bot, "U_ALICE"))
