"""Follow-up figures for managers, on a hand-built history with known answers.

Period: 7 days before 16 Mar 2026 00:00 UTC, i.e. [9 Mar, 16 Mar); "today" is 16 Mar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from firefighter.bootstrap import Core
from firefighter.emulators.slack import validate_blocks
from firefighter.slack.blocks.common import as_dicts
from firefighter.slack.blocks.stats import digest_blocks, followups_text
from firefighter.stats import measure
from firefighter.stats.report import metrics_json
from tests.conftest import FakeClock

END = datetime(2026, 3, 16, 0, 0, tzinfo=UTC)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_opened_done_overdue_by_component_and_median_time_to_close(
    core: Core, clock: FakeClock
) -> None:
    clock.tick = timedelta(0)
    s, f = core.service, core.followups

    clock.now = at(2)
    api = s.declare(title="API 500s", severity="SEV2", actor="U1", component="api").id
    secret = s.declare(title="Payroll leak", severity="SEV2", actor="U1", private=True).id
    drill = s.declare(title="Practice", severity="SEV3", actor="U1", drill=True).id
    # Opened in the previous period: not counted as opened; one closed in this period.
    old = f.add(api, "Add retries", actor="U1", owner="U2", due=date(2026, 3, 20)).id
    late_api = f.add(api, "Fix the pool size", actor="U1", due=date(2026, 3, 10)).id
    clock.now = at(10)
    f.add(api, "Alert on 5xx", actor="U1", due=date(2026, 3, 12))  # overdue, api
    f.add(secret, "Rotate keys", actor="U1", due=date(2026, 3, 11))  # overdue, private
    f.add(api, "Write the runbook", actor="U1")  # no due date: never overdue
    quick = f.add(api, "Bump the client", actor="U1").id
    f.add(drill, "Drill follow-up", actor="U1", due=date(2026, 3, 11))  # drills left out
    clock.now = at(11)
    f.close(quick, actor="U1")  # 1 day after it was opened
    clock.now = at(13)
    f.close(old, actor="U1")  # 11 days after it was opened
    clock.now = at(14)
    f.close(late_api, actor="U1")  # 12 days
    clock.now = END

    metrics = measure(core.factory, core.settings, now=END, days=7, end=END)
    figures = metrics.followups

    assert (figures.opened, figures.done, figures.overdue) == (4, 3, 2)
    # Nearest-rank median of 1, 11 and 12 days.
    assert figures.time_to_close.count == 3
    assert figures.time_to_close.p50 == 11 * 86_400
    [(first, first_count, first_items), (second, second_count, second_items)] = (
        figures.overdue_by_component
    )
    assert (first, first_count, second, second_count) == ("api", 1, "no component", 1)
    assert first_items[0].title == "Alert on 5xx" and first_items[0].due == date(2026, 3, 12)
    assert second_items[0].title is None and second_items[0].channel_id is None  # private

    text = followups_text(metrics)
    assert "4 opened, 3 done, 2 overdue" in text and "median time to close 11d 0h" in text
    assert "Rotate keys" not in text and "(private)" in text
    blocks = as_dicts(digest_blocks(metrics, core.settings.zone))
    assert validate_blocks(blocks) == []
    assert "Alert on 5xx" in str(blocks)
    assert metrics_json(metrics)["followups"]["overdue"] == 2
