"""Metrics as JSON and as terminal tables, for `firefighter stats`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table

from firefighter.stats.metrics import ALL, METRIC_LABELS, METRICS, IncidentRef, Metrics, change
from firefighter.text import duration


def _ref_json(ref: IncidentRef) -> dict[str, Any]:
    data = asdict(ref)
    data["reference"] = ref.reference
    return data


def metrics_json(metrics: Metrics) -> dict[str, Any]:
    """Every figure, durations in seconds, times in ISO 8601; private titles are null."""

    def period(which: str) -> dict[str, Any]:
        figures = getattr(metrics, which)
        return {
            "start": figures.start.isoformat(),
            "end": figures.end.isoformat(),
            "declared": figures.declared,
            "declared_total": figures.declared_total,
            "closed": figures.closed,
            "closed_total": figures.closed_total,
            "drills": figures.drills,
            "durations": {
                metric: {
                    ("all" if key == ALL else key): asdict(stats)
                    for key, stats in figures.durations.get(metric, {}).items()
                }
                for metric in METRICS
            },
        }

    cur, prev = metrics.current, metrics.previous
    return {
        "days": metrics.days,
        "now": metrics.now.isoformat(),
        "current": period("current"),
        "previous": period("previous"),
        "change": {
            "declared": str(change(cur.declared_total, prev.declared_total)),
            "closed": str(change(cur.closed_total, prev.closed_total)),
            "mitigate_p50": str(
                change(cur.duration("mitigate").p50, prev.duration("mitigate").p50)
            ),
        },
        "open_now": {
            "total": metrics.open_total,
            "by_status": metrics.open_by_status,
            "by_age": metrics.open_by_age,
        },
        "postmortems_overdue": {
            "total": metrics.overdue_postmortems,
            "oldest": [_ref_json(r) for r in metrics.overdue],
        },
        "components": {
            "by_incidents": [
                {"component": c, "incidents": n} for c, n in metrics.components_by_count
            ],
            "by_time_to_mitigate": [
                {"component": c, "seconds": s} for c, s in metrics.components_by_mitigation
            ],
        },
        "failure_classes": [
            {"failure_class": c, "incidents": n} for c, n in metrics.failure_classes
        ],
        "worst": [_ref_json(r) for r in metrics.worst],
        "followups": _followups_json(metrics),
        **_resilience_json(metrics),
    }


def _resilience_json(metrics: Metrics) -> dict[str, Any]:
    # The section appears once chaos results exist (DESIGN: `stats` JSON).
    if not metrics.resilience:
        return {}
    return {"resilience": {c: r.as_json() for c, r in metrics.resilience.items()}}


def _followups_json(metrics: Metrics) -> dict[str, Any]:
    figures = metrics.followups
    return {
        "opened": figures.opened,
        "done": figures.done,
        "overdue": figures.overdue,
        "overdue_by_component": [
            {
                "component": component,
                "overdue": count,
                "oldest": [
                    {
                        "incident": f"INC-{item.incident_id}",
                        "title": item.title,
                        "due": item.due.isoformat(),
                        "owner": item.owner,
                    }
                    for item in listed
                ],
            }
            for component, count, listed in figures.overdue_by_component
        ],
        "time_to_close": asdict(figures.time_to_close),
    }


def metrics_tables(metrics: Metrics) -> Group:
    """The figures as rich tables for a terminal."""
    cur, prev = metrics.current, metrics.previous
    headline = Table("", "this period", "previous", "change", title="Incidents (drills apart)")
    headline.add_row(
        "declared",
        str(cur.declared_total),
        str(prev.declared_total),
        str(change(cur.declared_total, prev.declared_total)),
    )
    headline.add_row(
        "closed",
        str(cur.closed_total),
        str(prev.closed_total),
        str(change(cur.closed_total, prev.closed_total)),
    )
    headline.add_row("drills", str(cur.drills), str(prev.drills), "")
    headline.add_row("not closed now", str(metrics.open_total), "", "")
    headline.add_row("post-mortems overdue", str(metrics.overdue_postmortems), "", "")

    by_severity = Table("severity", "declared", "closed", title="By severity")
    for name in metrics.severities:
        by_severity.add_row(name, str(cur.declared.get(name, 0)), str(cur.closed.get(name, 0)))

    durations = Table("time to", "severity", "n", "mean", "p50", "p90", title="Durations")
    for metric in METRICS:
        per = cur.durations.get(metric, {})
        for key in [s for s in metrics.severities if s in per] + ([ALL] if ALL in per else []):
            stats = per[key]
            durations.add_row(
                METRIC_LABELS[metric].removeprefix("Time to "),
                "all" if key == ALL else key,
                str(stats.count),
                duration(stats.mean),
                duration(stats.p50),
                duration(stats.p90),
            )

    open_now = Table("status", "incidents", title="Not closed now")
    for status, count in metrics.open_by_status.items():
        open_now.add_row(status, str(count))
    for bucket, count in metrics.open_by_age.items():
        open_now.add_row(f"age {bucket}", str(count))

    components = Table("component", "incidents", title="Top components")
    for component, count in metrics.components_by_count:
        components.add_row(escape(component), str(count))
    mitigation = Table("component", "total time to mitigate", title="Top components by time")
    for component, seconds in metrics.components_by_mitigation:
        mitigation.add_row(escape(component), duration(seconds))
    classes = Table("failure class", "incidents closed", title="Failure classes")
    for failure_class, count in metrics.failure_classes:
        classes.add_row(escape(failure_class or "unclassified"), str(count))

    worst = Table("incident", "severity", "status", "lasted", "title", title="Worst incidents")
    for ref in metrics.worst:
        worst.add_row(
            ref.reference,
            ref.severity,
            ref.status,
            duration(ref.seconds),
            "(private)" if ref.private else escape(ref.title or ""),
        )
    follow = metrics.followups
    followups = Table("", "follow-ups", title="Follow-ups")
    followups.add_row("opened this period", str(follow.opened))
    followups.add_row("done this period", str(follow.done))
    followups.add_row("overdue now", str(follow.overdue))
    followups.add_row("median time to close", duration(follow.time_to_close.p50))
    for component, count, _listed in follow.overdue_by_component:
        followups.add_row(f"overdue in {escape(component)}", str(count))
    parts: list[Table] = []
    if metrics.resilience:
        scores = Table(
            "component",
            "score",
            "experiments",
            "stale",
            "failed",
            "last run",
            title="Resilience (chaos experiments)",
        )
        for component, found in metrics.resilience.items():
            scores.add_row(
                escape(component),
                "-" if found.score is None else f"{found.score:g}",
                str(found.experiments),
                str(found.stale),
                str(found.failed),
                found.last_run.isoformat(timespec="minutes"),
            )
        parts.append(scores)
    return Group(
        headline,
        by_severity,
        durations,
        open_now,
        components,
        mitigation,
        classes,
        worst,
        followups,
        *parts,
    )
