"""The triage card's buttons, alerts linked to an incident, their resolution."""

from __future__ import annotations

from typing import Any

from firefighter.emulators.slack import blocks_text
from firefighter.incidents import queries
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.postmortem.document import alerts_line
from tests.alerts.conftest import AlertBot, payload
from tests.slack.conftest import buttons


def _card(bot: AlertBot) -> Any:
    (card,) = bot.cards()
    return card


def _timeline(bot: AlertBot, incident_id: int, kind: str = "alert") -> list[TimelineEvent]:
    with bot.core.factory() as session:
        return [e for e in queries.timeline(session, incident_id) if e.kind == kind]


def _alert(n: int, status: str = "firing") -> dict[str, Any]:
    body = payload("alertmanager")
    base = body["alerts"][0]
    body["alerts"] = [{**base, "fingerprint": f"fp{n}", "status": status}]
    return body


def test_declare_opens_the_form_prefilled_and_links_the_alerts(bot: AlertBot) -> None:
    bot.post("alertmanager", payload("alertmanager"))
    bot.settle()
    card = _card(bot)
    bot.driver.click(bot.alerts_channel, card.ts, "alert_declare", "U_BOB")
    view = bot.emulator.latest_view("U_BOB")
    assert view is not None
    text = blocks_text(view.view["blocks"]) + str(view.view["blocks"])
    assert "Payments API error rate above 5%" in text
    assert "severity=critical" in text and "prometheus.example.com" in text
    answer = bot.driver.submit_view("U_BOB", {"severity": "SEV2"})
    assert answer.status == 200 and not answer.body.strip(), answer.body
    bot.settle()
    with bot.core.factory() as session:
        incident = session.query(Incident).one()
    assert incident.title == "Payments API error rate above 5%"
    assert incident.holder("commander") == "U_BOB"
    assert all(a.incident_id == incident.id for a in bot.alerts())
    assert "Declared as *INC-1*" in blocks_text(_card(bot).blocks)
    assert buttons(_card(bot)) == []
    assert len(bot.cards()) == 1
    assert "1 alert firing, 0 resolved" in blocks_text(bot.card(incident).blocks)


def test_declared_from_a_card_detection_is_the_arrival_and_start_the_alert(bot: AlertBot) -> None:
    bot.post("alertmanager", payload("alertmanager"))
    bot.settle()
    bot.driver.click(bot.alerts_channel, _card(bot).ts, "alert_declare", "U_BOB")
    bot.driver.submit_view("U_BOB", {"severity": "SEV3"})
    (alert,) = bot.alerts()
    with bot.core.factory() as session:
        incident = session.query(Incident).one()
    assert incident.detected_at == alert.first_seen
    assert incident.started_at == alert.started_at


def test_attach_links_the_alerts_to_the_chosen_incident(bot: AlertBot) -> None:
    incident = bot.declare("Checkout is slow", "SEV2")
    bot.post("generic", payload("generic"))
    bot.settle()
    bot.driver.click(bot.alerts_channel, _card(bot).ts, "alert_attach", "U_CAROL")
    answer = bot.driver.submit_view("U_CAROL", {"incident": str(incident.id)})
    assert answer.status == 200 and not answer.body.strip(), answer.body
    bot.settle()
    (alert,) = bot.alerts()
    assert alert.incident_id == incident.id
    (event,) = _timeline(bot, incident.id)
    assert event.text == "Alert firing: Disk 95% full on db-1 (generic)"
    assert "Attached to *INC-1*" in blocks_text(_card(bot).blocks)
    posted = [m.text for m in bot.emulator.messages(bot.incident(incident.id).channel_id or "")]
    assert any("Alert firing: Disk 95% full on db-1" in t for t in posted)
    assert "1 alert firing, 0 resolved" in blocks_text(bot.card(incident).blocks)


def test_a_form_submitted_after_someone_else_decided_changes_nothing(bot: AlertBot) -> None:
    bot.post("generic", payload("generic"))
    bot.settle()
    ts = _card(bot).ts
    bot.driver.click(bot.alerts_channel, ts, "alert_dismiss", "U_BOB")
    bot.driver.click(bot.alerts_channel, ts, "alert_dismiss", "U_CAROL")
    assert bot.driver.submit_view("U_BOB", {}).status == 200
    late = bot.driver.submit_view("U_CAROL", {"reason": "mine"})
    assert "already handled (dismissed by <@U_BOB>)" in late.body
    bot.settle()
    assert "Dismissed by <@U_BOB>." in blocks_text(_card(bot).blocks)


def test_dismissed_stays_quiet_until_it_resolves_and_fires_again(bot: AlertBot) -> None:
    bot.post("alertmanager", _alert(1))
    bot.settle()
    bot.driver.click(bot.alerts_channel, _card(bot).ts, "alert_dismiss", "U_BOB")
    answer = bot.driver.submit_view("U_BOB", {"reason": "known flapper"})
    assert answer.status == 200 and not answer.body.strip(), answer.body
    bot.settle()
    assert "Dismissed by <@U_BOB>: known flapper" in blocks_text(_card(bot).blocks)
    bot.emulator.clear_calls()
    bot.post("alertmanager", _alert(1))  # still firing: quiet
    bot.settle()
    assert bot.emulator.calls_to("chat.postMessage") == []
    assert bot.emulator.calls_to("chat.update") == []
    bot.post("alertmanager", _alert(1, "resolved"))
    bot.settle()
    assert bot.emulator.calls_to("chat.postMessage") == []
    bot.post("alertmanager", _alert(1))  # fires again after resolving: news
    bot.settle()
    cards = bot.cards()
    assert len(cards) == 2
    assert buttons(cards[-1]) == ["Declare", "Attach", "Dismiss"]


def test_resolutions_go_on_the_timeline_and_all_resolved_is_said_once(bot: AlertBot) -> None:
    incident = bot.declare("Payments failing", "SEV2")
    body = payload("alertmanager")
    base = body["alerts"][0]
    body["alerts"] = [{**base, "fingerprint": "a"}, {**base, "fingerprint": "b"}]
    bot.post("alertmanager", body)
    bot.settle()
    bot.driver.click(bot.alerts_channel, _card(bot).ts, "alert_attach", "U_ALICE")
    bot.driver.submit_view("U_ALICE", {"incident": str(incident.id)})
    bot.settle()
    channel = bot.incident(incident.id).channel_id or ""
    body["alerts"] = [{**base, "fingerprint": "a", "status": "resolved"}]
    bot.post("alertmanager", body)
    bot.settle()
    assert "1 alert firing, 1 resolved" in blocks_text(bot.card(incident).blocks)
    body["alerts"] = [
        {**base, "fingerprint": "a", "status": "resolved"},
        {**base, "fingerprint": "b", "status": "resolved"},
    ]
    for _ in range(2):  # Alertmanager repeats resolved notifications
        bot.post("alertmanager", body)
        bot.settle()
    texts = [e.text for e in _timeline(bot, incident.id)]
    assert texts.count("Alert resolved: Payments API error rate above 5% (alertmanager)") == 2
    notices = [m for m in bot.emulator.messages(channel) if "have resolved" in m.text]
    assert len(notices) == 1
    assert "0 alerts firing, 2 resolved" in blocks_text(bot.card(incident).blocks)
    assert bot.incident(incident.id).status == "open"  # the bot never moves it by itself
    with bot.core.factory() as session:
        assert alerts_line(queries.timeline(session, incident.id)) == "2 linked, 2 resolved"
    bot.driver.click(channel, notices[0].ts, "status:mitigated", "U_ALICE")
    bot.settle()
    assert bot.incident(incident.id).status == "mitigated"
