"""Sample chaos results for `gameday run --fast`: posted over HTTP to the bot's own
`/chaos/*` endpoints while the Game Day runs, as LitmusChaos, Chaos Mesh and a script would.

For each component a scenario plays, three experiments (the score's arithmetic is printed):
- LitmusChaos `pod-delete`, weight 10, verdict Pass, probe success 100 %;
- LitmusChaos `network-latency`, weight 5, verdict Fail, probe success 50 %;
- the generic JSON `dns-outage`, weight 5, pass, probe success 80 %, run 45 days ago (stale:
  counts at half).
Score: (10 × 100 + 5 × 50 + 5 × 80 × 0.5) / (10 + 5 + 5) = 1450 / 20 = 72.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import requests


def _litmus(
    component: str, experiment: str, weight: int, verdict: str, success: int
) -> dict[str, Any]:
    # A ChaosResult as the chaos-operator's CRD serialises it (see chaos/litmus.py).
    return {
        "apiVersion": "litmuschaos.io/v1alpha1",
        "kind": "ChaosResult",
        "metadata": {
            "name": f"{component}-chaos-{experiment}",
            "namespace": component,
            "uid": f"demo-{component}-{experiment}",
            "labels": {"firefighter.io/component": component, "firefighter.io/weight": str(weight)},
        },
        "spec": {"engine": f"{component}-chaos", "experiment": experiment},
        "status": {
            "experimentStatus": {
                "phase": "Completed",
                "verdict": verdict,
                "probeSuccessPercentage": str(success),
            },
            "history": {
                "passedRuns": 1 if verdict == "Pass" else 0,
                "failedRuns": 1 if verdict == "Fail" else 0,
                "stoppedRuns": 0,
            },
        },
    }


def post_demo_results(url: str, token: str, components: Sequence[str], now: datetime) -> int:
    """Post the sample results for each component; how many were recorded."""
    headers = {"Authorization": f"Bearer {token}"}
    recorded = 0
    for component in components:
        bodies = [
            ("litmus", _litmus(component, "pod-delete", 10, "Pass", 100)),
            ("litmus", _litmus(component, "network-latency", 5, "Fail", 50)),
            (
                "generic",
                {
                    "experiment": "dns-outage",
                    "component": component,
                    "weight": 5,
                    "verdict": "pass",
                    "probe_success": 80,
                    "at": (now - timedelta(days=45)).isoformat(),
                },
            ),
        ]
        for source, body in bodies:
            answer = requests.post(f"{url}/chaos/{source}", json=body, headers=headers, timeout=10)
            answer.raise_for_status()
            recorded += int(answer.json()["recorded"])
    return recorded
