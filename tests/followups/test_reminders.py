"""Follow-up reminder decisions with a frozen clock: due day, overdue, done, snoozed, unowned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from firefighter.bootstrap import Core
from firefighter.db import transaction
from firefighter.incidents import effects, followup_reminders, reminders
from firefighter.outbox.models import OutboxItem
from tests.conftest import FakeClock

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 2 March 2026


def day(n: int, hour: int = 10) -> datetime:
    """`n` days after Monday 2 March, at `hour` UTC."""
    return MONDAY.replace(hour=hour) + timedelta(days=n)


class Runner:
    """Runs the follow-up reminder pass at chosen times; returns (follow-up id, reason)."""

    def __init__(self, core: Core, clock: FakeClock) -> None:
        clock.tick = timedelta(0)
        clock.now = MONDAY
        self.core, self.clock = core, clock
        self.policy = reminders.Policy.from_settings(core.settings)

    def at(self, when: datetime, policy: reminders.Policy | None = None) -> list[tuple[int, str]]:
        self.clock.now = when
        with transaction(self.core.factory) as session:
            nudges = followup_reminders.run(session, policy or self.policy, when)
        return [(n.payload["followup_id"], n.payload["reason"]) for n in nudges]

    def outbox(self) -> list[dict[str, Any]]:
        with self.core.factory() as session:
            query = select(OutboxItem.payload).where(OutboxItem.kind == effects.REMIND_FOLLOWUP)
            return [dict(p) for p in session.scalars(query.order_by(OutboxItem.id))]


@pytest.fixture
def run(core: Core, clock: FakeClock) -> Runner:
    return Runner(core, clock)


def test_owner_on_the_due_day_then_once_per_working_day(run: Runner, core: Core) -> None:
    incident = core.service.declare(title="Checkout down", severity="SEV2", actor="U1").id
    wednesday = date(2026, 3, 4)
    fid = core.followups.add(incident, "Add retries", actor="U1", owner="U2", due=wednesday).id

    assert run.at(day(1)) == []  # Tuesday: not due yet
    assert run.at(day(2, hour=8)) == []  # Wednesday before working hours
    assert run.at(day(2)) == [(fid, "due")]
    assert run.at(day(2, hour=16)) == []  # once that day
    assert run.at(day(3)) == [(fid, "overdue")]  # Thursday
    assert run.at(day(4)) == [(fid, "overdue")]  # Friday
    assert run.at(day(5)) == [] and run.at(day(6)) == []  # the weekend
    assert run.at(day(7)) == [(fid, "overdue")]  # Monday
    assert [p["recipient"] for p in run.outbox()] == ["U2"] * 4
    assert run.outbox()[0]["incident_id"] == incident


def test_none_once_done_or_snoozed(run: Runner, core: Core) -> None:
    incident = core.service.declare(title="Checkout down", severity="SEV2", actor="U1").id
    done = core.followups.add(incident, "A", actor="U1", owner="U2", due=date(2026, 3, 2)).id
    snoozed = core.followups.add(incident, "B", actor="U1", owner="U3", due=date(2026, 3, 2)).id
    assert sorted(run.at(day(0))) == [(done, "due"), (snoozed, "due")]

    run.clock.now = day(0, hour=11)
    core.followups.close(done, actor="U2")
    core.followups.snooze(snoozed, actor="U3")  # no reminder before Monday 9 March
    for n in range(1, 7):
        assert run.at(day(n)) == [], n
    assert run.at(day(7)) == [(snoozed, "overdue")]
    assert run.at(day(8)) == [(snoozed, "overdue")]


def test_due_day_is_a_day_in_the_configured_zone(run: Runner, core: Core) -> None:
    incident = core.service.declare(title="Checkout down", severity="SEV2", actor="U1").id
    fid = core.followups.add(incident, "A", actor="U1", owner="U2", due=date(2026, 3, 2)).id
    auckland = reminders.Policy(update_minutes={}, major=frozenset(), zone=ZoneInfo("NZ"))
    sunday_evening = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)  # Monday 10:00 in Auckland
    assert run.at(sunday_evening) == []  # Sunday in UTC
    assert run.at(sunday_evening, auckland) == [(fid, "due")]


def test_unowned_goes_to_the_commander_a_day_after_the_postmortem(run: Runner, core: Core) -> None:
    s = core.service
    incident = s.declare(title="Search down", severity="SEV2", actor="U1").id
    nobody = core.followups.add(incident, "Write the runbook", actor="U1").id
    drill = s.declare(title="Game day", severity="SEV2", actor="U1", drill=True).id
    core.followups.add(drill, "Practice item", actor="U1")
    assert run.at(day(3)) == []  # no post-mortem yet

    run.clock.now = day(3, hour=14)  # Thursday 14:00
    s.transition(incident, "mitigated", actor="U1")
    s.record_postmortem(incident, page_id="42", url="https://wiki.example/pm/42")
    s.transition(drill, "mitigated", actor="U1")
    s.record_postmortem(drill, page_id="43", url="https://wiki.example/pm/43")
    assert run.at(day(4, hour=13)) == []  # Friday 13:00: not a day yet
    assert run.at(day(4, hour=14)) == [(nobody, "unowned")]  # the drill's is not reminded
    assert run.at(day(7)) == []  # once
    assert run.outbox()[0]["recipient"] == "U1"
