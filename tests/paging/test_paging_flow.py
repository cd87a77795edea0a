"""Paging end to end over HTTP: the bot, the Slack emulator and the paging vendors' emulators."""

from __future__ import annotations

import pytest
import requests

from tests.paging.conftest import Paged
from tests.slack.conftest import buttons

VENDORS = ["pagerduty", "opsgenie"]


def card_text(paged: Paged, incident: object) -> str:
    return str(paged.bot.card(incident).blocks)  # type: ignore[arg-type]


def timeline_kinds(paged: Paged, incident_id: int) -> list[str]:
    from firefighter.incidents.models import TimelineEvent

    with paged.bot.core.factory() as session:
        return [
            e.kind
            for e in session.query(TimelineEvent)
            .filter(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.id)
        ]


@pytest.mark.parametrize("kind", VENDORS)
def test_sev1_pages_at_declaration_and_the_acknowledgement_reaches_the_card(
    paged: Paged, kind: str
) -> None:
    vendor = paged.vendor(kind)
    incident = paged.bot.declare("Card payments fail", severity="SEV1", component=vendor.component)
    assert vendor.sent("trigger") == 1
    [page] = paged.pages(incident)
    assert page.status == "triggered" and page.service == vendor.service
    card = card_text(paged, incident)
    assert vendor.service in card and "triggered" in card
    if kind == "pagerduty":
        event = paged.pagerduty.events_for("trigger")[0]
        assert event["dedup_key"] == page.key
        assert event["payload"]["severity"] == "critical"
        assert "Card payments fail" in event["payload"]["summary"]
        hrefs = [link["href"] for link in event["links"]]
        assert any("slack.com/app_redirect?channel=" in h for h in hrefs)
        assert f"https://firefighter.example.com/incidents/{incident.id}" in hrefs
    else:
        alert = paged.opsgenie.alert(page.key)
        assert alert is not None and alert.priority == "P1"
        assert alert.responders == [{"name": "Checkout", "type": "team"}]

    vendor.acknowledge(page.key)
    paged.bot.settle()
    card = card_text(paged, incident)
    assert f"acknowledged by {vendor.acknowledger}" in card
    assert "page_acknowledged" in timeline_kinds(paged, incident.id)
    assert any(f"acknowledged by {vendor.acknowledger}" in t for t in paged.channel_texts(incident))
    # The acknowledger is invited, found in Slack by e-mail.
    fresh = paged.bot.incident(incident.id)
    channel = paged.bot.emulator.channel(fresh.channel_id or "")
    assert ("U_ANN" if kind == "pagerduty" else "U_OLGA") in channel.members
    # Acknowledged in the vendor: mitigating later sends no acknowledge of our own.
    paged.bot.in_channel(incident, "mitigated")
    paged.bot.settle()
    assert vendor.sent("acknowledge") == 0


@pytest.mark.parametrize("kind", VENDORS)
def test_an_escalation_shows_on_the_card_and_in_the_timeline(paged: Paged, kind: str) -> None:
    vendor = paged.vendor(kind)
    incident = paged.bot.declare("Checkout slow", severity="SEV2", component=vendor.component)
    [page] = paged.pages(incident)
    vendor.escalate(page.key)
    paged.bot.settle()
    card = card_text(paged, incident)
    assert "escalated" in card and vendor.backup in card
    assert "page_escalated" in timeline_kinds(paged, incident.id)


@pytest.mark.parametrize("kind", VENDORS)
def test_mitigated_acknowledges_once_and_closed_resolves_once(paged: Paged, kind: str) -> None:
    vendor = paged.vendor(kind)
    incident = paged.bot.declare("Refunds stuck", severity="SEV2", component=vendor.component)
    for move in ("investigating", "mitigated"):
        assert paged.bot.in_channel(incident, move).status == 200
    paged.bot.settle()
    assert vendor.sent("acknowledge") == 1
    # Reopened and mitigated again: the page is acknowledged already.
    paged.bot.in_channel(incident, "reopen mitigating the fix did not hold")
    paged.bot.in_channel(incident, "mitigated")
    paged.bot.settle()
    assert vendor.sent("acknowledge") == 1
    paged.bot.core.service.transition(incident.id, "postmortem", actor="U_ALICE")
    paged.bot.core.service.close(incident.id, actor="U_ALICE")
    paged.bot.settle()
    paged.bot.settle()
    assert vendor.sent("resolve") == 1
    assert vendor.sent("trigger") == 1


@pytest.mark.parametrize("kind", VENDORS)
def test_resolved_by_the_vendor_is_not_resolved_again(paged: Paged, kind: str) -> None:
    vendor = paged.vendor(kind)
    incident = paged.bot.declare("Login loops", severity="SEV1", component=vendor.component)
    [page] = paged.pages(incident)
    vendor.resolve(page.key)
    paged.bot.settle()
    assert "page_resolved" in timeline_kinds(paged, incident.id)
    paged.bot.core.service.close(incident.id, actor="U_ALICE", reason="resolved")
    paged.bot.settle()
    assert vendor.sent("resolve") == 0


@pytest.mark.parametrize("kind", VENDORS)
def test_a_lower_severity_offers_the_page_button_and_pages_once(paged: Paged, kind: str) -> None:
    vendor = paged.vendor(kind)
    incident = paged.bot.declare("Slow reports", severity="SEV3", component=vendor.component)
    assert vendor.sent("trigger") == 0
    card = paged.bot.card(incident)
    assert "Page on-call" in buttons(card)
    fresh = paged.bot.incident(incident.id)
    clicked = paged.bot.driver.click(fresh.channel_id or "", card.ts, "page_oncall", "U_ALICE")
    assert clicked.status == 200
    paged.bot.settle()
    assert vendor.sent("trigger") == 1
    assert "Page on-call" not in buttons(paged.bot.card(incident))
    again = paged.bot.in_channel(incident, f"page {vendor.service}")
    assert "already paged" in paged.bot.reply_text(again)
    paged.bot.settle()
    assert vendor.sent("trigger") == 1


@pytest.mark.parametrize("kind", VENDORS)
def test_page_command_names_a_service(paged: Paged, kind: str) -> None:
    vendor = paged.vendor(kind)
    incident = paged.bot.declare("Search empty", severity="SEV4")
    answer = paged.bot.in_channel(incident, f"page {vendor.service.lower()}")
    assert "Paging the" in paged.bot.reply_text(answer)
    paged.bot.settle()
    assert vendor.sent("trigger") == 1
    unknown = paged.bot.in_channel(incident, "page Nowhere")
    assert "no service 'Nowhere'" in paged.bot.reply_text(unknown)


@pytest.mark.parametrize("kind", VENDORS)
def test_a_severity_raised_to_a_paging_level_pages_then(paged: Paged, kind: str) -> None:
    vendor = paged.vendor(kind)
    incident = paged.bot.declare("Emails late", severity="SEV3", component=vendor.component)
    assert vendor.sent("trigger") == 0
    paged.bot.in_channel(incident, "severity SEV2")
    paged.bot.settle()
    assert vendor.sent("trigger") == 1
    paged.bot.in_channel(incident, "severity SEV1")
    paged.bot.settle()
    assert vendor.sent("trigger") == 1


@pytest.mark.parametrize("kind", VENDORS)
def test_the_declare_box_pages_a_lower_severity(paged: Paged, kind: str) -> None:
    vendor = paged.vendor(kind)
    paged.bot.declare("Odd invoices", severity="SEV4", component=vendor.component, page=["page"])
    assert vendor.sent("trigger") == 1


@pytest.mark.parametrize("kind", VENDORS)
def test_a_vendor_down_for_a_minute_is_paged_once_after_and_slack_is_not_delayed(
    paged: Paged, kind: str
) -> None:
    vendor = paged.vendor(kind)
    vendor.down_for(60)
    incident = paged.bot.declare("Payouts late", severity="SEV1", component=vendor.component)
    # The channel, the card and the announcement are there while the page waits.
    fresh = paged.bot.incident(incident.id)
    assert fresh.channel_id and fresh.card_ts and fresh.announcement_ts
    paged.bot.in_channel(incident, "update looking at the payout queue")
    paged.bot.settle()
    assert any("payout queue" in t for t in paged.channel_texts(incident))
    assert vendor.sent("trigger") == 0
    for _ in range(20):
        paged.clock.advance(seconds=15)
        paged.bot.settle()
    assert vendor.sent("trigger") == 1
    [page] = paged.pages(incident)
    assert page.status == "triggered"


def test_a_bad_routing_key_says_so_once_in_the_channel(
    request: pytest.FixtureRequest, settings: object, clock: object, tmp_path: object
) -> None:
    from tests.paging.conftest import paged_bot

    gen = paged_bot(request, settings, clock, tmp_path, routing_key="too-short-key")  # type: ignore[arg-type]
    paged = next(gen)
    try:
        incident = paged.bot.declare("Cards declined", severity="SEV1", component="payments")
        paged.bot.settle()
        paged.bot.settle()
        texts = [t for t in paged.channel_texts(incident) if "refused" in t]
        assert len(texts) == 1, texts
        assert "routing_key" in texts[0] and "FIREFIGHTER_PAGING" in texts[0]
        assert "32 characters" in texts[0]
        assert "not paged" in card_text(paged, incident)
    finally:
        gen.close()


def test_oncall_answers_for_two_services(paged: Paged) -> None:
    answer = paged.bot.command("oncall")
    text = paged.bot.reply_text(answer)
    assert "Payments" in text and "Ann Oncall until Tuesday 09:00" in text
    assert "Checkout" in text and "Olga Oncall until Wednesday 09:00" in text
    assert "Ben Backup" not in text  # the second escalation level is not on call first
    one = paged.bot.reply_text(paged.bot.command("oncall web"))
    assert "Olga Oncall" in one and "Payments" not in one
    # Cached for a minute: asking again reads no vendor.
    calls = len(paged.opsgenie.calls)
    paged.bot.command("oncall")
    assert len(paged.opsgenie.calls) == calls


def test_app_home_says_who_is_on_call(paged: Paged) -> None:
    assert paged.bot.driver.app_home_opened("U_ANN").status == 200
    home = paged.bot.emulator.home_view("U_ANN")
    assert home is not None
    assert "You are on call for Payments until Tuesday 09:00" in str(home.view["blocks"])


def test_our_pages_are_not_alerts_but_other_pagerduty_incidents_are(paged: Paged) -> None:
    from firefighter.incidents.alert_models import AlertGroup

    def groups() -> int:
        with paged.bot.core.factory() as session:
            return session.query(AlertGroup).count()

    incident = paged.bot.declare("Card payments fail", severity="SEV1", component="payments")
    [page] = paged.pages(incident)
    # PagerDuty told the bot about its incident (triggered), then its acknowledgement:
    # both are about our own page, consumed by paging, not turned into triage cards.
    paged.pagerduty.acknowledge_as(page.key, paged.users["ann"])
    assert groups() == 0
    other = paged.pagerduty.add_service("Search", "PSEARCH")
    event = {
        "routing_key": other,
        "event_action": "trigger",
        "dedup_key": "search-latency",
        "payload": {"summary": "Search latency", "source": "probe", "severity": "error"},
    }
    assert requests.post(f"{paged.pagerduty.url}/v2/enqueue", json=event, timeout=5).ok
    assert groups() == 1


def test_oncall_names_a_vendor_that_is_down_and_still_answers(paged: Paged) -> None:
    paged.pagerduty.faults.down_for(60)
    text = paged.bot.reply_text(paged.bot.command("oncall"))
    assert "*Payments*: unknown right now" in text
    assert "Olga Oncall" in text


def test_a_private_incident_pages_without_its_title(paged: Paged) -> None:
    paged.bot.declare("Payroll leak", severity="SEV1", component="payments", options=["private"])
    [event] = paged.pagerduty.events_for("trigger")
    assert "Payroll leak" not in str(event)
    assert "private incident" in event["payload"]["summary"]


def test_closed_before_the_vendor_came_back_pages_nobody(paged: Paged) -> None:
    vendor = paged.vendor("pagerduty")
    vendor.down_for(600)
    incident = paged.bot.declare("False alarm", severity="SEV1", component="payments")
    paged.bot.core.service.close(incident.id, actor="U_ALICE", reason="false_positive")
    for _ in range(30):
        paged.clock.advance(seconds=60)
        paged.bot.settle()
    assert vendor.sent("trigger") == 0 and vendor.sent("resolve") == 0
    [page] = paged.pages(incident)
    assert page.status == "resolved"
