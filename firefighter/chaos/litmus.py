"""LitmusChaos: a `ChaosResult` custom resource, as Kubernetes serialises it.

The shape follows the ChaosResult CRD of the chaos-operator
(github.com/litmuschaos/chaos-operator, api/litmuschaos/v1alpha1/chaosresult_types.go):

    status.experimentStatus.phase     Running | Completed | Stopped
    status.experimentStatus.verdict   Pass | Fail | Stopped | Awaited
    status.experimentStatus.probeSuccessPercentage   a string ("100", "50"), optional
    status.history.passedRuns / failedRuns / stoppedRuns   cumulative counts, optional
    status.history.targets[].name     the application the experiment hit
    spec.engine, spec.experiment      the ChaosEngine and the experiment

`Awaited` is the verdict while the experiment still runs (LitmusChaos docs, "Observe the
Chaos results": verdict Awaited until it changes to Pass or Fail): nothing is recorded then.
Each finished run adds one to the history counts, so (uid, runs so far) names a run and the
same document posted twice is recorded once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from firefighter.chaos.common import (
    ChaosInputError,
    component_of,
    percentage,
    record,
    weight_of,
)
from firefighter.incidents.chaos import ChaosRecord

SOURCE = "litmus"
VERDICTS = {"Pass": "pass", "Fail": "fail", "Stopped": "stopped"}


class _Loose(BaseModel):
    # Kubernetes objects carry many fields we do not use (managedFields, annotations…).
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Metadata(_Loose):
    name: str = Field("", max_length=253)
    namespace: str = Field("", max_length=63)
    uid: str = Field("", max_length=64)
    labels: dict[str, str] = Field(default_factory=dict)


class Spec(_Loose):
    engine: str = Field("", max_length=253)
    experiment: str = Field(min_length=1, max_length=200)


class ExperimentStatus(_Loose):
    phase: str = Field(max_length=32)
    verdict: str = Field(max_length=32)
    probe_success: str | int | float | None = Field(None, alias="probeSuccessPercentage")


class Target(_Loose):
    name: str = Field("", max_length=253)
    kind: str = Field("", max_length=64)


class History(_Loose):
    passed: int = Field(0, ge=0, alias="passedRuns")
    failed: int = Field(0, ge=0, alias="failedRuns")
    stopped: int = Field(0, ge=0, alias="stoppedRuns")
    targets: list[Target] | None = None


class Status(_Loose):
    experiment: ExperimentStatus = Field(alias="experimentStatus")
    history: History | None = None


class LitmusChaosResult(_Loose):
    kind: str = Field("ChaosResult")
    metadata: Metadata = Field(default_factory=Metadata)  # type: ignore[arg-type]
    spec: Spec
    status: Status


def parse(data: Any, query: Mapping[str, str], now: datetime) -> list[ChaosRecord]:
    """The finished run a ChaosResult reports, or nothing while its verdict is Awaited."""
    result = LitmusChaosResult.model_validate(data)
    if result.kind != "ChaosResult":
        raise ChaosInputError(f"kind: {result.kind!r}; send a LitmusChaos ChaosResult")
    status = result.status.experiment
    if status.verdict == "Awaited":
        return []
    verdict = VERDICTS.get(status.verdict)
    if verdict is None:
        raise ChaosInputError(
            f"status.experimentStatus.verdict: {status.verdict!r} is not Pass, Fail, "
            "Stopped or Awaited"
        )
    history = result.status.history
    targets = (history.targets if history else None) or []
    labels = result.metadata.labels
    component = component_of(labels, query, *(t.name for t in targets))
    runs = (history.passed + history.failed + history.stopped) if history else 0
    identity = result.metadata.uid or f"{result.metadata.namespace}/{result.metadata.name}"
    # Without a history the run count is unknown: the time of receipt keeps runs apart.
    run = str(runs) if history else now.isoformat()
    return [
        record(
            source=SOURCE,
            run_key=f"{SOURCE}:{identity}:{run}",
            experiment=result.metadata.name or result.spec.experiment,
            component=component,
            weight=weight_of(labels, query),
            verdict=verdict,
            probe_success=percentage(
                status.probe_success, "status.experimentStatus.probeSuccessPercentage"
            ),
            at=now,
        )
    ]
