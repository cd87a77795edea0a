"""`/incident followup` and `/incident followups` through the Slack emulator."""

from __future__ import annotations

import json
from datetime import date

from firefighter.emulators.slack import Message
from firefighter.incidents.followups import list_followups
from firefighter.incidents.queries import incident_detail_json
from tests.slack.conftest import Bot


def buttons(message: Message) -> list[str]:
    """Button labels, accessories included."""
    labels = []
    for block in message.blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                labels.append(element["text"]["text"])
    return labels


def followups(bot: Bot) -> list[dict[str, object]]:
    with bot.core.factory() as session:
        return [
            {"title": f.title, "owner": f.owner, "due": f.due, "status": f.status}
            for f in list_followups(session)
        ]


def test_followup_with_and_without_owner_and_date(bot: Bot) -> None:
    incident = bot.declare()
    answer = bot.in_channel(incident, "followup Add retries to the payment client")
    assert "Follow-up #1 added to INC-1" in bot.reply_text(answer)
    answer = bot.in_channel(
        incident, "followup Alert on queue depth <@U_BOB|bob> due 2026-03-20", "U_CAROL"
    )
    assert "owned by <@U_BOB>, due 2026-03-20" in bot.reply_text(answer)
    rows = followups(bot)
    assert [(r["title"], r["owner"], str(r["due"])) for r in rows] == [
        ("Add retries to the payment client", None, "None"),
        ("Alert on queue depth", "U_BOB", "2026-03-20"),
    ]
    bot.settle()
    assert ":clipboard: Follow-ups: 2 open / 2" in json.dumps(bot.card(incident).blocks)
    with bot.core.factory() as session:
        shown = incident_detail_json(session, bot.incident(incident.id))
    assert [f["title"] for f in shown["followups"]] == [r["title"] for r in rows]
    assert "followup" in [e["kind"] for e in shown["timeline"]]


def test_refusals_say_the_expected_form_and_write_nothing(bot: Bot) -> None:
    incident = bot.declare()
    for text, expected in (
        ("followup Fix it due 31/12", "write the due date as `due YYYY-MM-DD`"),
        ("followup Fix it due 2026-02-30", "write the due date as `due YYYY-MM-DD`"),
        ("followup Fix it due 2025-01-01", "is in the past"),
        ("followup Fix it @nobody", "I don't know @nobody"),
        ("followup", "Say what needs doing"),
    ):
        said = bot.reply_text(bot.in_channel(incident, text))
        assert expected in said, said
        assert "followup <what needs doing> [@owner] [due YYYY-MM-DD]" in said or "past" in said
    assert followups(bot) == []
    outside = bot.command("followup Fix it")
    assert "works inside an incident channel" in bot.reply_text(outside)


def test_list_done_button_and_add_form(bot: Bot) -> None:
    incident = bot.declare()
    bot.in_channel(incident, "followup First")
    bot.in_channel(incident, "followup Second")
    channel = bot.incident(incident.id).channel_id or ""
    bot.in_channel(incident, "followups", "U_BOB")
    listing = bot.emulator.ephemerals("U_BOB")[-1]
    assert buttons(listing) == ["Done", "Done", "Add"]
    assert bot.driver.click(channel, listing.ts, "followup_done", "U_BOB", "1").status == 200
    assert [r["status"] for r in followups(bot)] == ["done", "open"]
    # The same click again (a redelivery) changes nothing.
    bot.driver.click(channel, listing.ts, "followup_done", "U_BOB", "1")
    bot.driver.click(channel, listing.ts, "followup_add", "U_BOB")
    answer = bot.driver.submit_view(
        "U_BOB", {"title": "Third", "owner": "U_CAROL", "due": "2026-03-31"}
    )
    assert answer.status == 200 and not answer.body.strip(), answer.body
    assert followups(bot)[-1] == {
        "title": "Third",
        "owner": "U_CAROL",
        "due": date(2026, 3, 31),
        "status": "open",
    }
    bot.settle()
    assert "Follow-ups: 2 open / 3" in json.dumps(bot.card(incident).blocks)
