"""What the chaos intakes share: how a target and a weight are found, and refusals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from firefighter.incidents.chaos import ChaosRecord

COMPONENT_LABEL = "firefighter.io/component"
WEIGHT_LABEL = "firefighter.io/weight"
PROBE_LABEL = "firefighter.io/probe-success"
VERDICT_LABEL = "firefighter.io/verdict"
# Labels Kubernetes recommends, and the one most apps carry, naming the app an experiment targets.
APP_LABELS = (COMPONENT_LABEL, "app.kubernetes.io/name", "app")
DEFAULT_WEIGHT = 10
"""An experiment with no weight label weighs the top of the 0-10 scale."""


class ChaosInputError(ValueError):
    """A body we cannot use; the message names the field and says what to send."""


def component_of(
    labels: Mapping[str, str], query: Mapping[str, str], *fallbacks: str | None
) -> str:
    """The target component: `?component=`, a label naming the app, or a fallback."""
    for found in (query.get("component"), *(labels.get(k) for k in APP_LABELS), *fallbacks):
        if found and found.strip():
            value = found.strip()
            if len(value) > 64:
                raise ChaosInputError("component: at most 64 characters")
            return value
    raise ChaosInputError(
        f"metadata.labels.{COMPONENT_LABEL}: required; label the result with the component "
        "it tested, or add ?component=NAME to the URL"
    )


def weight_of(labels: Mapping[str, str], query: Mapping[str, str]) -> int:
    """The experiment's weight 0-10: `?weight=`, the weight label, or 10."""
    raw = query.get("weight") or labels.get(WEIGHT_LABEL)
    if raw is None or raw == "":
        return DEFAULT_WEIGHT
    try:
        weight = int(raw)
    except ValueError:
        raise ChaosInputError(f"weight: {raw!r} is not a whole number from 0 to 10") from None
    if not 0 <= weight <= 10:
        raise ChaosInputError(f"weight: {weight} is not from 0 to 10")
    return weight


def percentage(raw: object, where: str) -> float | None:
    """A probe success percentage (`"75"`, `75.5`); None when the tool has none yet."""
    if raw is None or raw == "" or raw in ("Awaited", "N/A"):
        return None
    try:
        value = float(str(raw).strip().rstrip("%"))
    except ValueError:
        raise ChaosInputError(f"{where}: {raw!r} is not a percentage") from None
    if not 0 <= value <= 100:
        raise ChaosInputError(f"{where}: {value:g} is not from 0 to 100")
    return value


def record(
    *,
    source: str,
    run_key: str,
    experiment: str,
    component: str,
    weight: int,
    verdict: str,
    probe_success: float | None,
    at: datetime,
) -> ChaosRecord:
    """A record, with a verdict's usual success when the tool gave no percentage."""
    if probe_success is None:
        probe_success = 100.0 if verdict == "pass" else 0.0
    return ChaosRecord(
        source=source,
        run_key=run_key[:255],
        experiment=experiment[:200],
        component=component,
        weight=weight,
        verdict=verdict,
        probe_success=probe_success,
        at=at,
    )
