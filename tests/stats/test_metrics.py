"""Metric values on a hand-built history whose answers are worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from firefighter.bootstrap import Core
from firefighter.incidents.errors import InvalidInput
from firefighter.incidents.models import TimelineEvent
from firefighter.incidents.reminders import business_days_before
from firefighter.stats import PeriodError, measure, parse_period
from firefighter.stats.metrics import ALL, Change
from firefighter.stats.report import metrics_json
from firefighter.stats.sql import DurationStats
from firefighter.stats.weekly import weekly
from tests.conftest import FakeClock
from tests.stats.history import END, SECRET_TITLE, at, play

H = 3600.0


@pytest.fixture
def history(core: Core, clock: FakeClock) -> dict[str, int]:
    return play(core, clock).ids


def test_counts_durations_and_change_against_the_previous_period(
    core: Core, history: dict[str, int]
) -> None:
    m = measure(core.factory, core.settings, now=core.service.clock(), days=7, end=END)
    cur, prev = m.current, m.previous
    assert (cur.start, cur.end) == (at(9, 0), END)
    # K declared exactly at the start counts; J exactly at the end does not; F is a drill.
    assert cur.declared == {"SEV1": 2, "SEV3": 1, "SEV4": 2}
    assert cur.closed == {"SEV1": 1, "SEV2": 1, "SEV4": 2}
    assert cur.drills == 1 and prev.drills == 0
    assert prev.declared == {"SEV2": 3, "SEV3": 1}
    assert prev.closed == {"SEV3": 1}

    assert cur.duration("detect", "SEV1") == DurationStats(2, 900.0, 0.0, 1800.0)
    assert cur.duration("detect") == DurationStats(5, 360.0, 0.0, 1800.0)
    assert cur.duration("acknowledge", "SEV1") == DurationStats(2, 750.0, 300.0, 1200.0)
    assert cur.duration("acknowledge", "SEV4") == DurationStats()
    # C crossed into this period; D was reopened: it counts once, up to its last mitigation.
    assert cur.duration("mitigate", "SEV1") == DurationStats(2, 1.5 * H, 1 * H, 2 * H)
    assert cur.duration("mitigate", "SEV2") == DurationStats(2, 86.5 * H, 5 * H, 168 * H)
    assert cur.duration("mitigate") == DurationStats(4, 44 * H, 2 * H, 168 * H)
    assert cur.duration("close", "SEV4") == DurationStats(2, 1200.0, 600.0, 1800.0)
    assert cur.duration("close") == DurationStats(4, 6900.0, 1800.0, 5 * H)
    # D's first mitigation (3 Mar) was undone by the reopening: only H and L remain.
    assert prev.duration("mitigate") == DurationStats(2, 1.5 * H, 1 * H, 2 * H)
    assert prev.duration("acknowledge") == DurationStats(1, 600.0, 600.0, 600.0)

    assert str(Change(cur.declared_total, prev.declared_total)) == "↑ 25%"
    assert str(Change(cur.closed_total, prev.closed_total)) == "↑ 300%"
    data = metrics_json(m)
    assert data["change"] == {"declared": "↑ 25%", "closed": "↑ 300%", "mitigate_p50": "↑ 100%"}
    assert data["current"]["durations"]["mitigate"]["all"]["p90"] == 168 * H


def test_open_overdue_components_classes_and_worst(core: Core, history: dict[str, int]) -> None:
    m = measure(core.factory, core.settings, now=core.service.clock(), days=7, end=END)
    assert m.open_by_status == {"open": 1, "investigating": 1, "mitigated": 3}
    assert m.open_by_age == {"<1d": 1, "1-7d": 2, ">7d": 2}
    # Five business days before Monday 16 Mar is Monday 9 Mar: only L is overdue.
    assert m.overdue_postmortems == 1
    assert [(r.id, r.seconds) for r in m.overdue] == [(history["L"], 11.5 * 24 * H)]
    assert m.components_by_count == [("payments", 2), ("web", 1)]
    assert m.components_by_mitigation == [("api", 173 * H), ("payments", 3 * H)]
    assert m.failure_classes == [(None, 3), ("change or deploy", 1)]
    assert [(r.id, r.seconds) for r in m.worst] == [
        (history["A"], 2 * H),
        (history["B"], 1 * H),
        (history["D"], 168 * H),
        (history["C"], 5 * H),
        (history["E"], 36 * H),
    ]
    private = m.worst[-1]
    assert private.private and private.title is None
    assert SECRET_TITLE not in json.dumps(metrics_json(m))


def test_weekly_series_for_the_chart(core: Core, history: dict[str, int]) -> None:
    with core.factory() as session:
        series = weekly(session, end=END, severities=core.settings.severities, weeks=12)
    assert series.week_starts[-1] == at(9, 0) and len(series.week_starts) == 12
    assert [counts[-2:] for counts in series.declared.values()] == [
        [0, 2],  # SEV1
        [3, 0],  # SEV2 (the drill is not counted)
        [1, 1],  # SEV3
        [0, 2],  # SEV4
        [0, 0],  # SEV5
    ]
    assert series.mitigate_p50[-2:] == [1 * H, 2 * H]
    assert series.mitigate_p50[:-2] == [None] * 10
    assert series.total == 9


def test_failure_class_is_validated_and_recorded(core: Core, clock: FakeClock) -> None:
    incident = core.service.declare(title="Disk full", severity="SEV3", actor="U1")
    with pytest.raises(InvalidInput) as refused:
        core.service.set_failure_class(incident.id, "cosmic rays", actor="U1")
    assert "change or deploy" in str(refused.value)
    with pytest.raises(InvalidInput):
        core.service.close(incident.id, actor="U1", reason="resolved", failure_class="bad luck")
    changed = core.service.set_failure_class(incident.id, "CAPACITY  or load", actor="U1")
    assert changed.failure_class == "capacity or load"
    assert changed.version == incident.version + 1
    with core.factory() as session:
        texts = session.scalars(
            select(TimelineEvent.text).where(TimelineEvent.kind == "failure_class_set")
        ).all()
    assert texts == ["Failure class: capacity or load"]


def test_empty_database_and_a_single_sample(core: Core, clock: FakeClock) -> None:
    m = measure(core.factory, core.settings, now=core.service.clock(), days=30, end=END)
    assert m.quiet and m.open_total == 0 and m.overdue_postmortems == 0
    assert m.current.duration("mitigate") == DurationStats()
    assert str(Change(None, None)) == "—" and str(Change(3, 0)) == "↑ new"
    clock.tick = timedelta(0)
    clock.now = END - timedelta(hours=5)
    one = core.service.declare(title="One", severity="SEV2", actor="U1")
    clock.now = END - timedelta(hours=4, minutes=30)
    core.service.transition(one.id, "mitigated", actor="U1")
    m = measure(core.factory, core.settings, now=core.service.clock(), days=30, end=END)
    assert m.current.duration("mitigate", ALL) == DurationStats(1, 1800.0, 1800.0, 1800.0)


def test_business_days_and_period_parsing() -> None:
    paris = ZoneInfo("Europe/Paris")
    monday = datetime(2026, 3, 16, 10, 0, tzinfo=paris)
    assert business_days_before(monday, 5, paris) == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    saturday = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    assert business_days_before(saturday, 1, paris) == datetime(2026, 3, 13, 12, 0, tzinfo=UTC)
    assert [parse_period(t) for t in ("", "7d", "30d", " 90 days ")] == [7, 7, 30, 90]
    with pytest.raises(PeriodError):
        parse_period("12d")
