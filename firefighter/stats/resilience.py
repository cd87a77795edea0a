"""The resilience score of each component, from its chaos experiments' results.

As LitmusChaos defines it: Σ(weight × probe success %) / Σ(weight), over the experiments run
against the component in the last N days, each experiment counted once, by its latest run.

Our rules on top, stated so the figure can be checked by hand:
- a run whose verdict is `stopped` measures nothing and is left out;
- an experiment is *stale* when its latest run is older than 30 days: its probe success
  counts at half (evidence that old says less about the component as it is now);
- experiments weighted 0 count as run but weigh nothing; a component whose experiments all
  weigh 0 has no score (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firefighter.incidents.chaos_models import ChaosResult

STALE_DAYS = 30
STALE_FACTOR = 0.5


@dataclass(frozen=True)
class ExperimentRun:
    """The latest run of one experiment against one component."""

    component: str
    experiment: str
    weight: int
    probe_success: float
    verdict: str
    at: datetime


@dataclass(frozen=True)
class Resilience:
    """A component's score (0-100, or None) and what it is made of."""

    component: str
    score: float | None
    experiments: int
    stale: int
    failed: int
    last_run: datetime

    def as_json(self) -> dict[str, object]:
        """The `resilience` entry of `stats --format json`."""
        return {
            "score": self.score,
            "experiments": self.experiments,
            "stale": self.stale,
            "failed": self.failed,
            "last_run": self.last_run.isoformat(),
        }


def score(runs: Sequence[ExperimentRun], *, now: datetime) -> float | None:
    """Σ weight × success / Σ weight, stale experiments' success halved; None if Σ weight = 0."""
    total = sum(run.weight for run in runs)
    if total == 0:
        return None
    stale_before = now - timedelta(days=STALE_DAYS)
    weighted = sum(
        run.weight * run.probe_success * (STALE_FACTOR if run.at < stale_before else 1.0)
        for run in runs
    )
    return round(weighted / total, 1)


def latest_runs(session: Session, *, end: datetime, days: int) -> list[ExperimentRun]:
    """Each experiment's latest run (pass or fail) per component in the `days` before `end`."""
    rows = session.execute(
        select(
            ChaosResult.component,
            ChaosResult.experiment,
            ChaosResult.weight,
            ChaosResult.probe_success,
            ChaosResult.verdict,
            ChaosResult.at,
        )
        .where(
            ChaosResult.at > end - timedelta(days=days),
            ChaosResult.at <= end,
            ChaosResult.verdict != "stopped",
        )
        .order_by(ChaosResult.component, ChaosResult.experiment, ChaosResult.at, ChaosResult.id)
    ).all()
    latest: dict[tuple[str, str], ExperimentRun] = {}
    for row in rows:  # ordered by time: the last one seen wins
        latest[(row.component, row.experiment)] = ExperimentRun(
            row.component, row.experiment, row.weight, row.probe_success, row.verdict, row.at
        )
    return list(latest.values())


def resilience(session: Session, *, end: datetime, days: int) -> dict[str, Resilience]:
    """Every component with an experiment in the period, by name, with its score."""
    runs = latest_runs(session, end=end, days=days)
    stale_before = end - timedelta(days=STALE_DAYS)
    found: dict[str, Resilience] = {}
    for component in sorted({run.component for run in runs}):
        mine = [run for run in runs if run.component == component]
        found[component] = Resilience(
            component=component,
            score=score(mine, now=end),
            experiments=len(mine),
            stale=sum(1 for run in mine if run.at < stale_before),
            failed=sum(1 for run in mine if run.verdict == "fail"),
            last_run=max(run.at for run in mine),
        )
    return found
