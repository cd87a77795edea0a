"""Authorisation as people meet it in Slack, with admins given as a Slack user group."""

from __future__ import annotations

from tests.slack.conftest import Bot


def test_a_bystander_cannot_close_and_is_told_who_can(bot: Bot) -> None:
    bot.emulator.add_usergroup("S_SRE", "sre-leads", ["U_DAVE"])
    bot.core.service.policy.admins = ["S_SRE"]
    incident = bot.declare(severity="SEV3")
    refused = bot.reply_text(bot.in_channel(incident, "close duplicate", "U_CAROL"))
    assert refused == (
        ":warning: Only the people holding its roles (<@U_ALICE>) or an admin "
        "(<!subteam^S_SRE>) may close INC-1."
    )
    assert bot.incident(incident.id).status == "open"
    allowed = bot.reply_text(bot.in_channel(incident, "close duplicate", "U_DAVE"))
    assert allowed == "INC-1 is closed (duplicate)."


def test_declarers_restricted_to_a_group(bot: Bot) -> None:
    bot.emulator.add_usergroup("S_ONCALL", "oncall", ["U_BOB"])
    bot.core.service.policy.declarers = ["S_ONCALL"]
    bot.command("declare Disk full", "U_CAROL")
    answer = bot.driver.submit_view("U_CAROL", {"severity": "SEV3"})
    assert answer.json is not None and answer.json["response_action"] == "errors"
    assert "Only <!subteam^S_ONCALL> may declare" in answer.json["errors"]["title"]
    bot.command("declare Disk full", "U_BOB")
    assert bot.driver.submit_view("U_BOB", {"severity": "SEV3"}).body.strip() == ""
