"""Every `/incident` subcommand, typed where a responder would type it."""

from __future__ import annotations

from tests.slack.conftest import Bot, buttons


def test_help_and_no_text_list_every_subcommand(bot: Bot) -> None:
    for text in ("", "help"):
        reply = bot.reply_text(bot.command(text))
        for sub in ("declare", "list", "status", "update", "severity", "role", "close", "reopen"):
            assert f"/incident {sub}" in reply
    unknown = bot.reply_text(bot.command("frobnicate"))
    assert unknown.startswith("I don't know `frobnicate`")


def test_incident_subcommands_outside_an_incident_channel_say_where_to_go(bot: Bot) -> None:
    reply = bot.reply_text(bot.command("update all good"))
    assert "works inside an incident channel" in reply
    assert "/incident list" in reply


def test_status_shows_the_card_ephemerally(bot: Bot) -> None:
    incident = bot.declare(title="API latency")
    answer = bot.in_channel(incident, "status")
    assert answer.json is not None
    assert "INC-1: API latency" in str(answer.json["blocks"])
    posts_before = len(bot.emulator.messages(incident.channel_id or ""))
    bot.settle()
    assert len(bot.emulator.messages(incident.channel_id or "")) == posts_before


def test_update_goes_to_the_channel_and_the_announcement_thread(bot: Bot) -> None:
    incident = bot.declare(title="API latency")
    reply = bot.reply_text(bot.in_channel(incident, "update Rolled back the 14:02 deploy"))
    assert reply == "Update posted to INC-1."
    bot.settle()
    channel_texts = [m.text for m in bot.emulator.messages(incident.channel_id or "")]
    assert any("Rolled back the 14:02 deploy" in t for t in channel_texts)
    fresh = bot.incident(incident.id)
    thread = bot.emulator.replies(bot.incidents_channel, fresh.announcement_ts or "")
    assert any("Rolled back the 14:02 deploy" in m.text for m in thread)
    assert fresh.acknowledged_at is not None


def test_empty_update_is_explained(bot: Bot) -> None:
    incident = bot.declare()
    reply = bot.reply_text(bot.in_channel(incident, "update"))
    assert reply == ":warning: Write the update after the command: `update <what changed>`."


def test_severity_changes_card_announcement_and_topic(bot: Bot) -> None:
    incident = bot.declare(severity="SEV3")
    assert bot.reply_text(bot.in_channel(incident, "severity sev1")) == "INC-1 is now SEV1."
    bot.settle()
    assert "SEV1" in str(bot.card(incident).blocks)
    assert "SEV1" in str(bot.announcement(incident).blocks)
    assert bot.emulator.channel(incident.channel_id or "").topic.startswith("SEV1 · open")
    bad = bot.reply_text(bot.in_channel(incident, "severity SEV9"))
    assert bad == ":warning: Unknown severity 'SEV9'. Choose one of SEV1, SEV2, SEV3, SEV4, SEV5."


def test_role_assignment_invites_and_acknowledges(bot: Bot) -> None:
    incident = bot.declare()
    reply = bot.reply_text(bot.in_channel(incident, "role commander <@U_BOB|bob>"))
    assert reply == "<@U_BOB> is now the incident commander of INC-1."
    # Alice handed command over and holds no role now: the new commander names the comms lead.
    bot.in_channel(incident, "role comms <@U_CAROL>", user="U_BOB")
    bot.settle()
    fresh = bot.incident(incident.id)
    assert fresh.holder("commander") == "U_BOB"
    assert fresh.holder("communications") == "U_CAROL"
    assert fresh.acknowledged_at is not None
    members = bot.emulator.channel(incident.channel_id or "").members
    assert {"U_BOB", "U_CAROL"} <= set(members)
    assert "<@U_BOB>" in bot.emulator.channel(incident.channel_id or "").topic
    nobody = bot.reply_text(bot.in_channel(incident, "role scribe @dave"))
    assert "Pick the person from Slack's @ suggestions" in nobody
    bad_role = bot.reply_text(bot.in_channel(incident, "role janitor <@U_DAVE>"))
    assert bad_role == ":warning: Unknown role 'janitor'. Roles are: commander, comms, scribe."


def test_walk_through_the_lifecycle_by_commands(bot: Bot) -> None:
    incident = bot.declare(severity="SEV1")
    for status in ("investigating", "mitigating", "mitigated"):
        assert bot.reply_text(bot.in_channel(incident, status)) == f"INC-1 is now {status}."
    refused = bot.reply_text(bot.in_channel(incident, "close"))
    assert "needs its post-mortem" in refused
    assert "in post-mortem" in bot.reply_text(bot.in_channel(incident, "postmortem"))
    assert bot.reply_text(bot.in_channel(incident, "close")) == "INC-1 is closed (resolved)."
    bot.settle()
    fresh = bot.incident(incident.id)
    assert fresh.status == "closed" and fresh.closed_at is not None
    assert buttons(bot.card(incident)) == []
    assert "closed" in bot.emulator.channel(incident.channel_id or "").topic


def test_refused_move_names_state_and_options(bot: Bot) -> None:
    incident = bot.declare()
    bot.in_channel(incident, "mitigating")
    reply = bot.reply_text(bot.in_channel(incident, "investigating"))
    assert reply == ":warning: INC-1 is mitigating; it can move to mitigated."


def test_close_early_opens_the_reason_modal_or_takes_the_reason(bot: Bot) -> None:
    incident = bot.declare(severity="SEV4")
    answer = bot.in_channel(incident, "close")
    assert answer.status == 200 and answer.body.strip() == ""
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None and view.callback_id == "close"
    assert bot.driver.submit_view("U_ALICE", {"reason": "false_positive"}).body.strip() == ""
    assert bot.incident(incident.id).closure_reason == "false_positive"

    other = bot.declare(title="Dup", severity="SEV4")
    assert bot.reply_text(bot.in_channel(other, "close duplicate")) == (
        "INC-2 is closed (duplicate)."
    )
    bad = bot.reply_text(bot.in_channel(bot.declare(title="Third"), "close bored"))
    assert bad.startswith(":warning: Unknown closure reason 'bored'.")


def test_reopen_with_a_reason(bot: Bot) -> None:
    incident = bot.declare(severity="SEV3")
    bot.in_channel(incident, "mitigated")
    assert "Say why" in bot.reply_text(bot.in_channel(incident, "reopen"))
    reply = bot.reply_text(bot.in_channel(incident, "reopen mitigating errors are back"))
    assert reply == "INC-1 is reopened and mitigating."
    bot.settle()
    texts = [m.text for m in bot.emulator.messages(incident.channel_id or "")]
    assert any("reopened it to *mitigating*: errors are back" in t for t in texts)


def test_list_orders_most_severe_first(bot: Bot) -> None:
    bot.declare(title="Minor glitch", severity="SEV4")
    bot.declare(title="Everything down", severity="SEV1")
    closed = bot.declare(title="Old thing", severity="SEV4")
    bot.in_channel(closed, "close duplicate")
    answer = bot.command("list", "U_BOB")
    text = str(answer.json)
    assert text.index("Everything down") < text.index("Minor glitch")
    assert "Old thing" not in text
    assert "<#C" in text


def test_postmortem_before_mitigation_is_refused(bot: Bot) -> None:
    incident = bot.declare()
    reply = bot.reply_text(bot.in_channel(incident, "postmortem"))
    assert reply == ":warning: INC-1 is open; write the post-mortem once it is mitigated."
