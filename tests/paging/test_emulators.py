"""The paging emulators refuse what PagerDuty and Opsgenie refuse (over real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from firefighter.emulators.opsgenie import OpsgenieEmulator
from firefighter.emulators.pagerduty import PagerDutyEmulator
from tests.conftest import FakeClock


@pytest.fixture
def pd() -> Iterator[PagerDutyEmulator]:
    with PagerDutyEmulator(clock=FakeClock()) as emulator:
        yield emulator


@pytest.fixture
def og() -> Iterator[OpsgenieEmulator]:
    with OpsgenieEmulator(clock=FakeClock()) as emulator:
        yield emulator


def trigger(key: str, dedup: str = "k1") -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": "Down", "source": "test", "severity": "critical"},
    }


def test_pagerduty_events_answer_as_documented(pd: PagerDutyEmulator) -> None:
    key = pd.add_service("Payments", "P1")
    ok = requests.post(f"{pd.url}/v2/enqueue", json=trigger(key), timeout=5)
    assert ok.status_code == 202
    assert ok.json() == {"status": "success", "message": "Event processed", "dedup_key": "k1"}
    short = requests.post(f"{pd.url}/v2/enqueue", json=trigger("x" * 31), timeout=5)
    assert short.status_code == 400
    assert short.json()["errors"] == [
        "Length of 'routing_key' is incorrect (should be 32 characters)"
    ]
    bad = trigger(key)
    bad["payload"] = {"summary": "Down", "source": "t", "severity": "fatal"}
    assert requests.post(f"{pd.url}/v2/enqueue", json=bad, timeout=5).status_code == 400
    no_action = {**trigger(key), "event_action": "page"}
    assert requests.post(f"{pd.url}/v2/enqueue", json=no_action, timeout=5).status_code == 400


def test_pagerduty_dedup_key_semantics(pd: PagerDutyEmulator) -> None:
    key = pd.add_service("Payments", "P1")
    other = pd.add_service("Checkout", "P2")
    for _ in range(2):
        requests.post(f"{pd.url}/v2/enqueue", json=trigger(key), timeout=5)
    assert len(pd.incidents) == 1 and pd.incidents[0].triggers == 2
    # An acknowledge through another routing key is dropped.
    ack = {"routing_key": other, "event_action": "acknowledge", "dedup_key": "k1"}
    assert requests.post(f"{pd.url}/v2/enqueue", json=ack, timeout=5).status_code == 202
    assert pd.incidents[0].status == "triggered"
    resolve = {"routing_key": key, "event_action": "resolve", "dedup_key": "k1"}
    requests.post(f"{pd.url}/v2/enqueue", json=resolve, timeout=5)
    assert pd.incidents[0].status == "resolved"
    # A trigger after the resolve opens a new incident.
    requests.post(f"{pd.url}/v2/enqueue", json=trigger(key), timeout=5)
    assert len(pd.incidents) == 2 and pd.incidents[1].status == "triggered"


def test_pagerduty_limits_120_events_a_minute_per_routing_key(pd: PagerDutyEmulator) -> None:
    key = pd.add_service("Payments", "P1")
    other = pd.add_service("Checkout", "P2")
    answers = [
        requests.post(f"{pd.url}/v2/enqueue", json=trigger(key, f"k{i}"), timeout=5).status_code
        for i in range(121)
    ]
    assert answers[:120] == [202] * 120 and answers[120] == 429
    assert requests.post(f"{pd.url}/v2/enqueue", json=trigger(other), timeout=5).status_code == 202
    pd.clock.advance(seconds=61)  # type: ignore[attr-defined]
    assert requests.post(f"{pd.url}/v2/enqueue", json=trigger(key), timeout=5).status_code == 202


def test_pagerduty_rest_wants_its_token_and_version_2(pd: PagerDutyEmulator) -> None:
    user = pd.add_user("Ann", "ann@example.com")
    pd.put_on_call("P1", user)
    url = f"{pd.url}/oncalls"
    assert requests.get(url, timeout=5).status_code == 401
    bearer = {"Authorization": f"Bearer {pd.token}"}
    assert requests.get(url, headers=bearer, timeout=5).status_code == 401
    token = {"Authorization": f"Token token={pd.token}"}
    v1 = {**token, "Accept": "application/vnd.pagerduty+json;version=1"}
    assert requests.get(url, headers=v1, timeout=5).status_code == 406
    v2 = {**token, "Accept": "application/vnd.pagerduty+json;version=2"}
    answer = requests.get(url, headers=v2, params={"escalation_policy_ids[]": "P1"}, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["oncalls"][0]["user"]["summary"] == "Ann"
    me = requests.get(f"{pd.url}/users/{user.id}", headers=v2, timeout=5).json()
    assert me["user"]["email"] == "ann@example.com"


def test_pagerduty_fault_hook_is_down_for_a_while(pd: PagerDutyEmulator) -> None:
    key = pd.add_service("Payments", "P1")
    pd.faults.down_for(60)
    assert requests.post(f"{pd.url}/v2/enqueue", json=trigger(key), timeout=5).status_code == 503
    pd.clock.advance(seconds=61)  # type: ignore[attr-defined]
    assert requests.post(f"{pd.url}/v2/enqueue", json=trigger(key), timeout=5).status_code == 202


def test_opsgenie_alert_api_answers_as_documented(og: OpsgenieEmulator) -> None:
    body = {"message": "Checkout down", "alias": "a1", "priority": "P1"}
    assert requests.post(f"{og.url}/v2/alerts", json=body, timeout=5).status_code == 401
    auth = {"Authorization": f"GenieKey {og.api_key}"}
    created = requests.post(f"{og.url}/v2/alerts", json=body, headers=auth, timeout=5)
    assert created.status_code == 202
    assert created.json()["result"] == "Request will be processed"
    request_id = created.json()["requestId"]
    status = requests.get(f"{og.url}/v2/alerts/requests/{request_id}", headers=auth, timeout=5)
    assert status.json()["data"]["isSuccess"] is True
    # The same alias while open: de-duplicated, not a second alert.
    requests.post(f"{og.url}/v2/alerts", json=body, headers=auth, timeout=5)
    assert len(og.alerts) == 1 and og.alerts[0].count == 2
    long = {"message": "x" * 131}
    refused = requests.post(f"{og.url}/v2/alerts", json=long, headers=auth, timeout=5)
    assert refused.status_code == 422 and "130" in refused.json()["errors"]["message"]
    bad = requests.post(
        f"{og.url}/v2/alerts", json={**body, "priority": "P9"}, headers=auth, timeout=5
    )
    assert bad.status_code == 422
    ack = requests.post(
        f"{og.url}/v2/alerts/a1/acknowledge",
        params={"identifierType": "alias"},
        json={},
        headers=auth,
        timeout=5,
    )
    assert ack.status_code == 202 and og.alerts[0].acknowledged
    missing = requests.post(
        f"{og.url}/v2/alerts/nope/close",
        params={"identifierType": "alias"},
        json={},
        headers=auth,
        timeout=5,
    )
    # Processed asynchronously: accepted, and the request's status says the alert is unknown.
    assert missing.status_code == 202
    outcome = requests.get(
        f"{og.url}/v2/alerts/requests/{missing.json()['requestId']}", headers=auth, timeout=5
    ).json()["data"]
    assert outcome["isSuccess"] is False and outcome["status"] == "Alert does not exist"
    numbers = {**body, "alias": "a2", "details": {"count": 3}}
    assert (
        requests.post(f"{og.url}/v2/alerts", json=numbers, headers=auth, timeout=5).status_code
        == 422
    )
