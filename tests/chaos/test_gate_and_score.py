"""The gate (closed by a real incident or a freeze, open for a drill, fast) and the score."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from firefighter.incidents.access import Forbidden
from firefighter.incidents.chaos import ChaosRecord
from firefighter.slack.blocks.stats import components_text
from firefighter.stats import measure
from firefighter.stats.report import metrics_json
from firefighter.stats.resilience import ExperimentRun, score
from tests.chaos.conftest import ChaosBot


def test_gate_closed_by_a_real_incident_open_for_a_drill(chaos_bot: ChaosBot) -> None:
    service = chaos_bot.core.service
    assert chaos_bot.gate("payments").json() == {"safe": True}
    service.declare(title="Drill", severity="SEV2", actor="U1", component="payments", drill=True)
    answer = chaos_bot.gate("payments")
    assert answer.status_code == 200 and answer.json() == {"safe": True}
    real = service.declare(
        title="Cards declined", severity="SEV1", actor="U1", component="payments"
    )
    answer = chaos_bot.gate("payments")
    assert answer.status_code == 503
    body = answer.json()
    assert body["safe"] is False and body["incident"] == real.reference
    assert "Cards declined" in body["reason"]
    assert chaos_bot.gate("search").json() == {"safe": True}  # another component
    service.transition(real.id, "investigating", actor="U1")
    service.transition(real.id, "mitigating", actor="U1")
    service.transition(real.id, "mitigated", actor="U1")
    assert chaos_bot.gate("payments").status_code == 200  # impact over: experiments may resume


def test_gate_closed_by_a_freeze_until_lifted_or_over(chaos_bot: ChaosBot) -> None:
    chaos = chaos_bot.core.chaos
    with pytest.raises(Forbidden):
        chaos.freeze("payments", None, actor="USOMEONE")  # no role in an active incident
    assert chaos_bot.gate("payments").status_code == 200
    until = chaos_bot.clock.now + timedelta(hours=2)
    assert "frozen on payments" in chaos.freeze("payments", until, actor="UADMIN")
    closed = chaos_bot.gate("payments")
    assert closed.status_code == 503 and "frozen" in closed.json()["reason"]
    assert "incident" not in closed.json()
    chaos_bot.clock.advance(hours=3)
    assert chaos_bot.gate("payments").status_code == 200  # the freeze ran out
    chaos.freeze(None, None, actor="UADMIN")  # every component, until lifted
    assert chaos_bot.gate("search").status_code == 503
    # A role holder of an active real incident may lift it.
    chaos_bot.core.service.declare(title="Outage", severity="SEV2", actor="UCMDR")
    assert "lifted" in chaos.lift(None, actor="UCMDR")
    assert chaos_bot.gate("search").status_code == 200


def test_gate_answers_in_under_10_ms(chaos_bot: ChaosBot) -> None:
    service = chaos_bot.core.service
    others = [c for c in chaos_bot.core.settings.components if c != "payments"]
    for n in range(50):
        component = others[n % len(others)]
        service.declare(title=f"old {n}", severity="SEV4", actor="U1", component=component)
    chaos_bot.core.chaos.freeze("other", None, actor="UADMIN")

    def median(timings: list[float]) -> float:
        return sorted(timings)[len(timings) // 2]

    gate = chaos_bot.core.chaos.gate
    gate("payments")  # warm the connection pool
    inside = []
    for _ in range(100):
        began = time.perf_counter()
        assert gate("payments").safe
        inside.append(time.perf_counter() - began)
    http = requests.Session()  # keep-alive, as a prober polling the gate does
    over_http = []
    for _ in range(50):
        began = time.perf_counter()
        answer = http.get(
            f"{chaos_bot.url}/chaos/gate", params={"component": "payments"}, timeout=10
        )
        over_http.append(time.perf_counter() - began)
        assert answer.status_code == 200
    print(
        f"gate: median {median(inside) * 1000:.2f} ms in the server, "
        f"{median(over_http) * 1000:.2f} ms over HTTP on loopback"
    )
    assert median(inside) < 0.010
    # Over HTTP the client and the shared test machine add their own time: a loose bound.
    assert median(over_http) < 0.050


def test_score_arithmetic_on_a_known_answer() -> None:
    now = datetime(2026, 3, 31, tzinfo=UTC)
    fresh = now - timedelta(days=2)
    old = now - timedelta(days=45)
    runs = [
        ExperimentRun("payments", "pod-delete", 10, 100.0, "pass", fresh),
        ExperimentRun("payments", "latency", 5, 40.0, "fail", fresh),
        ExperimentRun("payments", "dns", 5, 80.0, "pass", old),  # stale: counts 40
    ]
    # (10 × 100 + 5 × 40 + 5 × 80 × 0.5) / 20 = (1000 + 200 + 200) / 20 = 70
    assert score(runs, now=now) == 70.0
    # The same experiment run recently instead: (1000 + 200 + 400) / 20 = 80
    assert (
        score([*runs[:2], ExperimentRun("payments", "dns", 5, 80.0, "pass", fresh)], now=now)
        == 80.0
    )
    assert score([ExperimentRun("x", "y", 0, 100.0, "pass", fresh)], now=now) is None


def test_stats_resilience_section(chaos_bot: ChaosBot) -> None:
    core = chaos_bot.core
    now = chaos_bot.clock.now

    def run(
        experiment: str, weight: int, success: float, verdict: str, days_ago: int
    ) -> ChaosRecord:
        return ChaosRecord(
            "generic",
            f"{experiment}:{days_ago}",
            experiment,
            "payments",
            weight,
            verdict,
            success,
            now - timedelta(days=days_ago),
        )

    core.record_chaos(
        [
            run("pod-delete", 10, 20.0, "fail", 10),  # superseded by the later run
            run("pod-delete", 10, 100.0, "pass", 1),
            run("latency", 5, 40.0, "fail", 2),
            run("dns", 5, 80.0, "pass", 45),  # stale
            run("cpu-hog", 8, 0.0, "stopped", 1),  # stopped: measures nothing
            run("disk-fill", 10, 0.0, "fail", 200),  # outside the 90 days
        ]
    )
    figures = metrics_json(measure(core.factory, core.settings, now=chaos_bot.clock(), days=7))
    assert figures["resilience"] == {
        "payments": {
            "score": 70.0,
            "experiments": 3,
            "stale": 1,
            "failed": 1,
            "last_run": (now - timedelta(days=1)).isoformat(),
        }
    }


def test_digest_shows_the_score_beside_time_to_mitigate_and_never_drilled(
    chaos_bot: ChaosBot,
) -> None:
    core = chaos_bot.core
    service = core.service
    for component in ("search", "payments"):
        incident = service.declare(
            title=f"{component} down", severity="SEV2", actor="U1", component=component
        )
        chaos_bot.clock.advance(minutes=30)
        for status in ("investigating", "mitigating", "mitigated"):
            service.transition(incident.id, status, actor="U1")
    core.record_chaos(
        [
            ChaosRecord(
                "generic", "k1", "pod-delete", "payments", 10, "pass", 90.0, chaos_bot.clock.now
            ),
            ChaosRecord(
                "generic", "k2", "pod-delete", "ledger", 10, "fail", 30.0, chaos_bot.clock.now
            ),
        ]
    )
    metrics = measure(core.factory, core.settings, now=chaos_bot.clock(), days=7)
    text = components_text(metrics)
    assert "by total time to mitigate (resilience score)" in text
    assert "payments 30m (score 90)" in text
    assert "search 30m (:warning: never drilled)" in text
    assert "other components drilled: ledger score 30" in text
