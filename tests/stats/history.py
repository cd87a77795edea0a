"""A hand-built history with known metrics, played through the service with a frozen clock.

Periods for `end = 16 Mar 2026 00:00 UTC`, 7 days: current [9 Mar, 16 Mar), previous
[2 Mar, 9 Mar). Times below are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from firefighter.bootstrap import Core
from tests.conftest import FakeClock

END = datetime(2026, 3, 16, 0, 0, tzinfo=UTC)
SECRET_TITLE = "Secret: payroll export leaked"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026, UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@dataclass
class History:
    """The ids of the incidents played, by letter."""

    ids: dict[str, int]


def play(core: Core, clock: FakeClock) -> History:
    """Declare and move the incidents A…L at their times (chronological order)."""
    clock.tick = timedelta(0)
    s = core.service
    ids: dict[str, int] = {}

    def now(when: datetime) -> None:
        clock.now = when

    # D (SEV2, api): mitigated in the previous period, reopened and re-mitigated in this one.
    now(at(3, 10))
    ids["D"] = s.declare(title="API 500s", severity="SEV2", actor="U1", component="api").id
    now(at(3, 11))
    s.transition(ids["D"], "mitigated", actor="U1")
    # L (SEV2): mitigated 4 Mar, never gets a post-mortem: overdue.
    now(at(4, 10))
    ids["L"] = s.declare(title="Queue stuck", severity="SEV2", actor="U1").id
    now(at(4, 12))
    s.transition(ids["L"], "mitigated", actor="U1")
    # H (SEV3): all in the previous period.
    now(at(5, 10))
    ids["H"] = s.declare(title="Slow search", severity="SEV3", actor="U1").id
    now(at(5, 11))
    s.transition(ids["H"], "mitigated", actor="U1")
    now(at(5, 12))
    s.close(ids["H"], actor="U1")
    # C (SEV2, api): declared in the previous period, mitigated and closed in this one.
    now(at(8, 22))
    ids["C"] = s.declare(
        title="Login fails", severity="SEV2", actor="U1", component="api", started_at=at(8, 21)
    ).id
    now(at(8, 22, 10))
    s.add_update(ids["C"], "looking at the identity provider", actor="U1")
    # K (SEV4): declared exactly at the start of the period, closed early as resolved.
    now(at(9, 0))
    ids["K"] = s.declare(title="Typo on the home page", severity="SEV4", actor="U1").id
    now(at(9, 0, 10))
    s.close(ids["K"], actor="U1", reason="resolved")
    now(at(9, 2))
    s.transition(ids["C"], "mitigated", actor="U1")
    now(at(9, 2, 30))
    s.transition(ids["C"], "postmortem", actor="U1")
    now(at(9, 3))
    s.close(ids["C"], actor="U1")
    now(at(10, 9))
    s.reopen(ids["D"], reason="errors are back", actor="U1")
    now(at(10, 10))
    s.transition(ids["D"], "mitigated", actor="U1")
    # A (SEV1, payments): impact from 09:30, acknowledged by a new commander at 10:05.
    ids["A"] = s.declare(
        title="Checkout down",
        severity="SEV1",
        actor="U1",
        component="payments",
        started_at=at(10, 9, 30),
    ).id
    now(at(10, 10, 5))
    s.assign_role(ids["A"], "commander", "U2", actor="U1")
    now(at(10, 11, 30))
    s.transition(ids["A"], "mitigated", actor="U2")
    now(at(10, 11, 40))
    s.transition(ids["A"], "postmortem", actor="U2")
    now(at(10, 12))
    s.close(ids["A"], actor="U2", failure_class="Change or deploy")
    # F: a drill, never counted except as a drill.
    now(at(11, 10))
    ids["F"] = s.declare(title="Game day: DB failover", severity="SEV2", actor="U1", drill=True).id
    now(at(11, 10, 30))
    s.transition(ids["F"], "mitigated", actor="U1")
    # B (SEV1, payments): acknowledged by its first update.
    now(at(12, 8))
    ids["B"] = s.declare(
        title="Card payments slow", severity="SEV1", actor="U1", component="payments"
    ).id
    now(at(12, 8, 20))
    s.add_update(ids["B"], "provider degraded", actor="U1")
    now(at(12, 9))
    s.transition(ids["B"], "mitigated", actor="U1")
    # E (SEV3, web): private and still open.
    now(at(14, 12))
    ids["E"] = s.declare(
        title=SECRET_TITLE, severity="SEV3", actor="U1", component="web", private=True
    ).id
    now(at(14, 12, 30))
    s.transition(ids["E"], "investigating", actor="U1")
    # G (SEV4): a false positive closed after 30 minutes.
    now(at(15, 23))
    ids["G"] = s.declare(title="Alert flapping", severity="SEV4", actor="U1").id
    now(at(15, 23, 30))
    s.close(ids["G"], actor="U1", reason="false_positive")
    # J (SEV3): declared exactly at the end of the period: not in it.
    now(END)
    ids["J"] = s.declare(title="CDN misses", severity="SEV3", actor="U1").id
    return History(ids)
