"""Finding 2 of the security review: the Attach form offers only incidents the clicker may
see, and a forged submission naming a private one is refused as an unknown incident."""

from __future__ import annotations

import json

from tests.alerts.conftest import AlertBot, payload
from tests.slack.test_hostile_slack import submit


def test_attach_hides_private_incidents_and_refuses_forged_ones(bot: AlertBot) -> None:
    secret = bot.declare("SECRET acquisition of Initech", "SEV2", options=["private"])
    public = bot.declare("Checkout is slow", "SEV3")
    bot.post("generic", payload("generic"))
    bot.settle()
    (card,) = bot.cards()
    bot.driver.click(bot.alerts_channel, card.ts, "alert_attach", "U_CAROL")
    form = bot.emulator.current_view("U_CAROL")
    assert form is not None
    shown = json.dumps(form.view)
    assert "Checkout is slow" in shown and "SECRET" not in shown
    # A forged value naming the private incident: the unknown-incident sentence, nothing linked.
    # (Slack itself would refuse a value the menu did not offer; a forger posts it directly.)
    values = {
        "incident": {
            "incident": {"type": "static_select", "selected_option": {"value": str(secret.id)}}
        }
    }
    forged = submit("alert_attach", str(form.view["private_metadata"]), values)
    answer = forged(bot, secret.id)
    assert f"There is no incident INC-{secret.id}." in answer.text, answer
    assert [a.incident_id for a in bot.alerts()] == [None]
    # Its declarer sees it and may attach.
    bot.driver.click(bot.alerts_channel, card.ts, "alert_attach", "U_ALICE")
    mine = bot.emulator.current_view("U_ALICE")
    assert mine is not None and "SECRET" in json.dumps(mine.view)
    assert public.id != secret.id
