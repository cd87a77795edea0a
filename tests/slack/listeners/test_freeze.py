"""`/incident freeze` and `unfreeze`: who may, and what the chaos gate answers then."""

from __future__ import annotations

from firefighter.incidents.chaos import ChaosService
from tests.slack.conftest import Bot


def test_freeze_needs_a_role_in_an_active_incident_then_closes_the_gate(bot: Bot) -> None:
    gate = ChaosService(bot.core.service).gate
    refused = bot.reply_text(bot.command("freeze payments 2h", "U_BOB"))
    assert "Only the people holding a role in an active incident" in refused
    assert gate("payments").safe

    bot.core.service.declare(title="Checkout down", severity="SEV2", actor="U_ALICE")
    done = bot.reply_text(bot.command("freeze payments 2h", "U_ALICE"))
    assert "Chaos experiments are frozen on payments until" in done
    answer = gate("payments")
    assert not answer.safe and "frozen on payments" in (answer.reason or "")
    assert gate("search").safe

    assert "is lifted" in bot.reply_text(bot.command("unfreeze payments", "U_ALICE"))
    assert gate("payments").safe
    wrong = bot.reply_text(bot.command("freeze payments tomorrow-ish", "U_ALICE"))
    assert "is not an end for the freeze" in wrong
