"""The webhooks: each vendor's documented payload, refusals that store nothing, de-duplication."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from firefighter.emulators.slack import blocks_text
from tests.alerts.conftest import AlertBot, payload

EXAMPLES = {
    # source: (payload file, alerts in it, title shown on the card)
    "alertmanager": ("alertmanager", 1, "Payments API error rate above 5%"),
    # Grafana's own title for the group (`[FIRING:2]  (blue)`), without its status.
    "grafana": ("grafana", 2, ":rotating_light: (blue)"),
    "datadog": ("datadog", 1, "CPU high on web-1"),
    "pagerduty": ("pagerduty", 1, "A little bump in the road"),
    "generic": ("generic", 1, "Disk 95% full on db-1"),
}


@pytest.mark.parametrize("source", list(EXAMPLES))
def test_each_vendor_payload_makes_one_triage_card(bot: AlertBot, source: str) -> None:
    name, count, title = EXAMPLES[source]
    answer = bot.post(source, payload(name))
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"alerts": count, "new": count, "deduplicated": 0, "incidents": []}
    bot.settle()
    cards = bot.cards()
    assert len(cards) == 1
    text = blocks_text(cards[0].blocks)
    assert title in text
    assert "Declare" in text and "Attach" in text and "Dismiss" in text
    assert all(a.source == source and a.status == "firing" for a in bot.alerts())


def test_firing_twice_is_one_card_with_count_two(bot: AlertBot) -> None:
    bot.post("alertmanager", payload("alertmanager"))
    bot.settle()
    again = bot.post("alertmanager", payload("alertmanager"))
    assert again.json() == {"alerts": 1, "new": 0, "deduplicated": 1, "incidents": []}
    bot.settle()
    (alert,) = bot.alerts()
    assert alert.count == 2 and alert.last_seen > alert.first_seen
    (card,) = bot.cards()
    assert "2 notifications" in blocks_text(card.blocks)
    assert len(bot.emulator.calls_to("chat.postMessage")) == 1


def test_a_group_of_fifty_alerts_is_one_card(bot: AlertBot) -> None:
    body = payload("alertmanager")
    template = body["alerts"][0]
    body["alerts"] = [
        {**template, "fingerprint": f"fp{n:04d}", "labels": {**template["labels"], "n": str(n)}}
        for n in range(50)
    ]
    answer = bot.post("alertmanager", body)
    assert answer.json()["new"] == 50
    bot.settle()
    (card,) = bot.cards()
    assert "50 alerts firing, 0 resolved" in blocks_text(card.blocks)


def test_pagerduty_resolved_resolves_the_alert(bot: AlertBot) -> None:
    bot.post("pagerduty", payload("pagerduty"))
    answer = bot.post("pagerduty", payload("pagerduty_resolved"))
    assert answer.json()["deduplicated"] == 1
    bot.settle()
    (alert,) = bot.alerts()
    assert alert.status == "resolved"
    assert "0 alerts firing, 1 resolved" in blocks_text(bot.cards()[0].blocks)


# Datadog's default webhook payload, exactly as the integration fills it in: no alert id.
DATADOG_DEFAULT = {
    "body": "%%%\nAverage CPU above 90% on web-1 for the last 5 minutes.\n%%%",
    "last_updated": "1772441400000",
    "event_type": "query_alert_monitor",
    "title": "[Triggered on {host:web-1}] CPU high",
    "date": "1772441400000",
    "org": {"id": "123456", "name": "Acme"},
    "id": "7432145987654321098",
}


def test_datadogs_default_payload_works_as_it_comes(bot: AlertBot) -> None:
    answer = bot.post("datadog", DATADOG_DEFAULT)
    assert answer.status_code == 202, answer.text
    assert answer.json()["new"] == 1
    again = {**DATADOG_DEFAULT, "id": "7432145987654329999"}  # each event has its own id
    assert bot.post("datadog", again).json()["deduplicated"] == 1
    recovered = {
        **DATADOG_DEFAULT,
        "title": "[Recovered on {host:web-1}] CPU high",
        "id": "7432145987654330000",
        "last_updated": "1772442000000",
    }
    assert bot.post("datadog", recovered).json()["deduplicated"] == 1
    bot.settle()
    (alert,) = bot.alerts()
    assert alert.status == "resolved" and alert.count >= 2
    assert alert.title == "CPU high on host:web-1"
    assert "CPU high on host:web-1" in blocks_text(bot.cards()[0].blocks)
    other = {**DATADOG_DEFAULT, "title": "[Triggered on {host:web-2}] CPU high", "id": "1"}
    assert bot.post("datadog", other).json()["new"] == 1  # another scope, another alert


def test_grafana_cards_are_titled_by_the_notification(bot: AlertBot) -> None:
    body = payload("grafana")
    body["title"] = "[FIRING:2] High memory usage (blue)"
    bot.post("grafana", body)
    bot.settle()
    text = blocks_text(bot.cards()[0].blocks)
    assert "High memory usage (blue)" in text and "[FIRING:2]" not in text


def test_pagerduty_events_it_does_not_handle_are_accepted_and_change_nothing(
    bot: AlertBot,
) -> None:
    body = payload("pagerduty")
    body["event"]["event_type"] = "incident.acknowledged"
    answer = bot.post("pagerduty", body)
    assert answer.status_code == 202 and answer.json()["alerts"] == 0
    assert bot.stored() == {"alerts": 0, "groups": 0, "outbox": 0}


REFUSALS: list[tuple[str, dict[str, Any], int, str]] = [
    ("alertmanager", {"token": None}, 401, "Authorization"),
    ("alertmanager", {"token": "wrong"}, 401, "Authorization"),
    ("pagerduty", {"headers": {"X-PagerDuty-Signature": "v1=00ff"}}, 401, "X-PagerDuty-Signature"),
    ("grafana", {"raw": b"{not json"}, 400, "body: not JSON"),
    ("alertmanager", {"drop": "startsAt"}, 400, "alerts[0].startsAt"),
    ("datadog", {"drop": "title"}, 400, "title"),
    ("generic", {"raw": b"{" + b'"x": "' + b"a" * (1024 * 1024) + b'"}'}, 413, "1 MB"),
]


@pytest.mark.parametrize(("source", "how", "status", "named"), REFUSALS)
def test_refused_requests_store_nothing(
    bot: AlertBot, source: str, how: dict[str, Any], status: int, named: str
) -> None:
    body = payload(source)
    if how.get("drop") == "startsAt":
        del body["alerts"][0]["startsAt"]
    elif how.get("drop") == "title":
        del body["title"]
    kwargs = {k: v for k, v in how.items() if k in ("token", "headers", "raw")}
    answer = bot.post(source, body, **kwargs)
    assert answer.status_code == status
    assert named in answer.json()["error"]
    assert "Traceback" not in answer.text
    assert bot.stored() == {"alerts": 0, "groups": 0, "outbox": 0}
    bot.settle()
    assert bot.cards() == []


def test_intake_is_off_without_a_token(bot: AlertBot, make_bot: Any) -> None:
    bot.core.settings.alerts_token = None
    off = make_bot()
    answer = off.post("generic", payload("generic"), token="anything")
    assert answer.status_code == 401
    assert "FIREFIGHTER_ALERTS_TOKEN" in answer.json()["error"]
    assert off.stored()["alerts"] == 0


def test_metrics_count_received_deduplicated_and_rejected(bot: AlertBot) -> None:
    bot.post("alertmanager", payload("alertmanager"))
    bot.post("alertmanager", payload("alertmanager"))
    bot.post("alertmanager", payload("alertmanager"), token="wrong")
    metrics = requests.get(f"{bot.url}/metrics", timeout=5).text
    assert 'firefighter_alerts_received_total{source="alertmanager"} 2.0' in metrics
    assert 'firefighter_alerts_deduplicated_total{source="alertmanager"} 1.0' in metrics
    assert (
        'firefighter_alert_webhooks_rejected_total{reason="unauthenticated",source="alertmanager"}'
        " 1.0" in metrics
    )


def test_alerts_list_prints_the_stable_json_fields(
    bot: AlertBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import json

    from typer.testing import CliRunner

    from firefighter.cli import app as cli

    bot.post("alertmanager", payload("alertmanager"))
    bot.post("alertmanager", payload("alertmanager"))
    monkeypatch.setenv("DATABASE_URL", bot.core.settings.database_url)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["alerts", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert set(row) == {
        "id",
        "source",
        "fingerprint",
        "status",
        "title",
        "incident_id",
        "count",
        "first_seen",
        "last_seen",
    }
    assert (row["source"], row["fingerprint"], row["status"], row["count"]) == (
        "alertmanager",
        "7a1f3c9e2b4d6a80",
        "firing",
        2,
    )
    table = CliRunner().invoke(cli, ["alerts", "list"])
    assert table.exit_code == 0 and "Payments" in table.output
