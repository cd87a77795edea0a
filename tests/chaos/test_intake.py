"""Chaos results in: LitmusChaos ChaosResults (Pass, Fail, Stopped, Awaited), Chaos Mesh,
the generic JSON; refusals store nothing; the same run posted twice is recorded once."""

from __future__ import annotations

import pytest

from firefighter.incidents.models import Incident
from tests.chaos.conftest import ChaosBot, payload


@pytest.mark.parametrize(
    ("name", "recorded", "verdict", "success"),
    [
        ("litmus-pass", 1, "pass", 100.0),
        ("litmus-fail", 1, "fail", 50.0),
        ("litmus-stopped", 1, "stopped", 0.0),
        ("litmus-awaited", 0, None, None),
    ],
)
def test_litmus_chaos_results(
    chaos_bot: ChaosBot, name: str, recorded: int, verdict: str | None, success: float | None
) -> None:
    answer = chaos_bot.post("litmus", payload(name))
    assert answer.status_code == 202, answer.text
    assert answer.json()["recorded"] == recorded
    rows = chaos_bot.results()
    assert len(rows) == recorded
    if rows:
        row = rows[0]
        assert (row.component, row.weight, row.verdict) == ("payments", 6, verdict)
        assert row.probe_success == success
        assert row.experiment == "payments-chaos-pod-delete"


def test_the_same_litmus_run_twice_is_recorded_once(chaos_bot: ChaosBot) -> None:
    assert chaos_bot.post("litmus", payload("litmus-pass")).json()["recorded"] == 1
    again = chaos_bot.post("litmus", payload("litmus-pass")).json()
    assert again["recorded"] == 0 and again["duplicates"] == 1
    # The next run of the same experiment counts one more in its history: a new result.
    assert chaos_bot.post("litmus", payload("litmus-fail")).json()["recorded"] == 1
    assert chaos_bot.count() == 2


def test_litmus_target_from_history_when_no_label(chaos_bot: ChaosBot) -> None:
    body = payload("litmus-pass")
    del body["metadata"]["labels"]["firefighter.io/component"]
    body["status"]["history"]["targets"][0]["name"] = "checkout"
    assert chaos_bot.post("litmus", body).status_code == 202
    assert chaos_bot.results()[0].component == "checkout"


def test_chaos_mesh_workflow_and_experiment(chaos_bot: ChaosBot) -> None:
    workflow = {
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": "payments-resilience",
            "namespace": "chaos-mesh",
            "uid": "7c1e2b0a-1111-4c3d-9e8f-0a1b2c3d4e5f",
            "labels": {"firefighter.io/component": "payments", "firefighter.io/weight": "4"},
        },
        "spec": {"entry": "entry", "templates": []},
        "status": {
            "conditions": [
                {"type": "Accomplished", "status": "True", "reason": ""},
                {"type": "Scheduled", "status": "True", "reason": ""},
            ]
        },
    }
    assert chaos_bot.post("chaosmesh", workflow).json()["recorded"] == 1
    running = {
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": "PodChaos",
        "metadata": {"name": "kill-one", "namespace": "payments", "uid": "aa-1"},
        "spec": {
            "action": "pod-kill",
            "mode": "one",
            "selector": {"labelSelectors": {"app": "payments"}},
        },
        "status": {
            "conditions": [
                {"type": "Selected", "status": "True"},
                {"type": "AllInjected", "status": "True"},
                {"type": "AllRecovered", "status": "False"},
                {"type": "Paused", "status": "False"},
            ],
            "experiment": {"desiredPhase": "Run"},
        },
    }
    assert chaos_bot.post("chaosmesh", running).json()["recorded"] == 0
    finished = {**running, "status": {**running["status"], "experiment": {"desiredPhase": "Stop"}}}
    finished["status"]["conditions"] = [
        {"type": "Selected", "status": "True"},
        {"type": "AllInjected", "status": "False"},
        {"type": "AllRecovered", "status": "True"},
        {"type": "Paused", "status": "False"},
    ]
    assert chaos_bot.post("chaosmesh", finished).json()["recorded"] == 1
    rows = chaos_bot.results()
    assert [(r.experiment, r.component, r.weight, r.verdict) for r in rows] == [
        ("Workflow/payments-resilience", "payments", 4, "pass"),
        ("PodChaos/kill-one", "payments", 10, "pass"),
    ]


def test_generic_body(chaos_bot: ChaosBot) -> None:
    body = {
        "experiment": "latency-300ms",
        "component": "search",
        "weight": 3,
        "verdict": "fail",
        "probe_success": 40,
        "at": "2026-03-01T10:00:00Z",
    }
    answer = chaos_bot.post("generic", body)
    assert answer.status_code == 202
    assert answer.json()["recorded"] == 1
    assert chaos_bot.post("generic", body).json()["recorded"] == 0  # same run, same `at`
    row = chaos_bot.results()[0]
    assert (row.component, row.weight, row.verdict, row.probe_success) == ("search", 3, "fail", 40)


@pytest.mark.parametrize(
    ("source", "body", "field"),
    [
        (
            "generic",
            {
                "experiment": "x",
                "component": "c",
                "weight": 11,
                "verdict": "pass",
                "probe_success": 1,
            },
            "weight",
        ),
        (
            "generic",
            {
                "experiment": "x",
                "component": "c",
                "weight": 1,
                "verdict": "maybe",
                "probe_success": 1,
            },
            "verdict",
        ),
        (
            "generic",
            {
                "experiment": "x",
                "component": "c",
                "weight": 1,
                "verdict": "pass",
                "probe_success": 101,
            },
            "probe_success",
        ),
        (
            "generic",
            {"component": "c", "weight": 1, "verdict": "pass", "probe_success": 1},
            "experiment",
        ),
        ("litmus", {"kind": "ChaosResult", "spec": {"experiment": "x"}}, "status"),
    ],
)
def test_bad_bodies_name_the_field_and_store_nothing(
    chaos_bot: ChaosBot, source: str, body: dict[str, object], field: str
) -> None:
    answer = chaos_bot.post(source, body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(field)
    assert chaos_bot.count() == 0


def test_litmus_without_a_component_says_how_to_name_it(chaos_bot: ChaosBot) -> None:
    body = payload("litmus-pass")
    del body["metadata"]["labels"]["firefighter.io/component"]
    del body["status"]["history"]["targets"]
    answer = chaos_bot.post("litmus", body)
    assert answer.status_code == 400
    assert "firefighter.io/component" in answer.json()["error"]
    assert "?component=" in answer.json()["error"]
    assert chaos_bot.post("litmus", body, query="?component=ledger").status_code == 202
    assert chaos_bot.results()[0].component == "ledger"


def test_refusals_store_nothing(chaos_bot: ChaosBot) -> None:
    assert chaos_bot.post("litmus", payload("litmus-pass"), token=None).status_code == 401
    assert chaos_bot.post("litmus", payload("litmus-pass"), token="wrong").status_code == 401
    assert chaos_bot.post("litmus", None, raw=b"{not json").status_code == 400
    big = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'
    assert chaos_bot.post("generic", None, raw=big).status_code == 413
    assert chaos_bot.count() == 0


def test_a_failed_experiment_can_declare_a_drill(chaos_bot: ChaosBot) -> None:
    chaos_bot.core.settings = chaos_bot.core.settings.model_copy(
        update={"chaos_drill_severity": "SEV3"}
    )
    answer = chaos_bot.post("litmus", payload("litmus-fail")).json()
    assert answer["recorded"] == 1 and answer["drills"] == ["INC-1"]
    with chaos_bot.core.factory() as session:
        incident = session.get(Incident, 1)
    assert incident is not None
    assert incident.drill and incident.component == "payments" and incident.severity == "SEV3"
    # A drill is not a real incident: the gate stays open.
    assert chaos_bot.gate("payments").json() == {"safe": True}
