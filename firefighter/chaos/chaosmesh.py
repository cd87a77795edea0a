"""Chaos Mesh: an experiment (PodChaos, NetworkChaos, …) or a Workflow, as Kubernetes serialises it.

Chaos Mesh judges no verdict of its own; what its status says (chaos-mesh api/v1alpha1,
common_types.go and workflow_types.go):

- an experiment's `status.conditions[]` (`type` Selected, AllInjected, AllRecovered, Paused;
  `status` "True"/"False") and `status.experiment.desiredPhase` (Run, Stop). Finished means
  desired phase Stop with AllRecovered true; we read that as a pass. Paused, or nothing
  Selected, is a stopped run. Still running: nothing is recorded.
- a Workflow's `status.conditions[]` (`type` Accomplished, Scheduled). Accomplished true is a
  pass, unless a StatusCheck aborted it (a condition `Aborted` true): a fail.

A step after the experiment may say better: the annotations (or labels)
`firefighter.io/verdict` (pass, fail, stopped) and `firefighter.io/probe-success` (0-100)
override what the status implies. One object is one run (a Schedule spawns a new object for
each), so its uid names the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from firefighter.chaos.common import (
    PROBE_LABEL,
    VERDICT_LABEL,
    ChaosInputError,
    component_of,
    percentage,
    record,
    weight_of,
)
from firefighter.incidents.chaos import VERDICTS, ChaosRecord

SOURCE = "chaosmesh"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Metadata(_Loose):
    name: str = Field(min_length=1, max_length=253)
    namespace: str = Field("", max_length=63)
    uid: str = Field("", max_length=64)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class Condition(_Loose):
    type: str = Field(max_length=64)
    status: str = Field(max_length=16)


class Experiment(_Loose):
    desired_phase: str = Field("", alias="desiredPhase", max_length=16)


class Status(_Loose):
    conditions: list[Condition] = Field(default_factory=list)
    experiment: Experiment | None = None


class Selector(_Loose):
    label_selectors: dict[str, str] = Field(default_factory=dict, alias="labelSelectors")


class Spec(_Loose):
    selector: Selector | None = None


class ChaosMeshObject(_Loose):
    api_version: str = Field("", alias="apiVersion", max_length=100)
    kind: str = Field(min_length=1, max_length=64)
    metadata: Metadata
    spec: Spec = Field(default_factory=Spec)
    status: Status = Field(default_factory=Status)


def _verdict(obj: ChaosMeshObject) -> str | None:
    true = {c.type for c in obj.status.conditions if c.status == "True"}
    if obj.kind == "Workflow":
        if "Aborted" in true:
            return "fail"
        return "pass" if "Accomplished" in true else None
    if "Paused" in true:
        return "stopped"
    phase = obj.status.experiment.desired_phase if obj.status.experiment else ""
    if phase == "Stop":
        if "Selected" not in true:
            return "stopped"  # no target was selected: the run tested nothing
        return "pass" if "AllRecovered" in true else None
    return None


def parse(data: Any, query: Mapping[str, str], now: datetime) -> list[ChaosRecord]:
    """The finished run an experiment or workflow reports, or nothing while it runs."""
    obj = ChaosMeshObject.model_validate(data)
    if obj.api_version and not obj.api_version.startswith("chaos-mesh.org/"):
        raise ChaosInputError(f"apiVersion: {obj.api_version!r}; send a chaos-mesh.org object")
    marks = {**obj.metadata.labels, **obj.metadata.annotations}
    verdict = marks.get(VERDICT_LABEL, "").strip().lower() or _verdict(obj)
    if verdict is None:
        return []
    if verdict not in VERDICTS:
        raise ChaosInputError(
            f"metadata.annotations.{VERDICT_LABEL}: {verdict!r} is not pass, fail or stopped"
        )
    selected = obj.spec.selector.label_selectors if obj.spec.selector else {}
    component = component_of(
        marks, query, selected.get("app.kubernetes.io/name"), selected.get("app")
    )
    identity = obj.metadata.uid or f"{obj.metadata.namespace}/{obj.metadata.name}"
    return [
        record(
            source=SOURCE,
            run_key=f"{SOURCE}:{identity}",
            experiment=f"{obj.kind}/{obj.metadata.name}",
            component=component,
            weight=weight_of(marks, query),
            verdict=verdict,
            probe_success=percentage(marks.get(PROBE_LABEL), f"metadata.annotations.{PROBE_LABEL}"),
            at=now,
        )
    ]
