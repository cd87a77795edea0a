"""Reminder decisions with a frozen clock: when a nudge is due, and when it must not be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from firefighter.bootstrap import Core
from firefighter.db import transaction
from firefighter.incidents import effects, reminders
from firefighter.incidents.models import Reminder
from firefighter.outbox.models import OutboxItem
from tests.conftest import FakeClock

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def t(hours: float = 0, minutes: float = 0, days: float = 0) -> datetime:
    """A time after Monday 2 Mar 2026 09:00 UTC."""
    return MONDAY + timedelta(days=days, hours=hours, minutes=minutes)


class Runner:
    """Runs the reminder pass at chosen times and reports the nudges it queued."""

    def __init__(self, core: Core, clock: FakeClock) -> None:
        clock.tick = timedelta(0)
        clock.now = MONDAY
        self.core = core
        self.clock = clock
        self.policy = reminders.Policy.from_settings(core.settings)

    def at(self, when: datetime, only: str | None = None) -> list[tuple[str, int]]:
        """Move the clock to `when`, run the pass, return (kind, incident id) queued now."""
        self.clock.now = when
        with transaction(self.core.factory) as session:
            nudges = reminders.run(session, self.policy, when)
        return [(n.kind, n.incident_id) for n in nudges if only in (None, n.kind)]

    def outbox(self, kind: str) -> list[dict[str, Any]]:
        with self.core.factory() as session:
            return [
                dict(p)
                for p in session.scalars(
                    select(OutboxItem.payload)
                    .where(OutboxItem.kind == kind)
                    .order_by(OutboxItem.id)
                )
            ]


@pytest.fixture
def run(core: Core, clock: FakeClock) -> Runner:
    return Runner(core, clock)


def test_update_nudge_after_the_interval_once_per_interval(run: Runner, core: Core) -> None:
    s = core.service
    sev1 = s.declare(title="Checkout down", severity="SEV1", actor="U1").id
    s.declare(title="Typo", severity="SEV4", actor="U1")  # SEV4 has no reminder at all
    update = reminders.UPDATE

    assert run.at(t(minutes=29), update) == []
    assert run.at(t(minutes=30), update) == [(update, sev1)]
    assert run.at(t(minutes=30), update) == []  # the same interval is never nudged twice
    assert run.at(t(minutes=59), update) == []
    assert run.at(t(minutes=60), update) == [(update, sev1)]
    assert run.outbox(effects.REMIND_UPDATE)[0]["commander"] == "U1"

    run.clock.now = t(minutes=65)
    s.snooze_reminders(sev1, minutes=30, actor="U1")  # until 10:35
    assert run.at(t(minutes=90), update) == []
    assert run.at(t(minutes=94), update) == []
    assert run.at(t(minutes=95), update) == [(update, sev1)]

    run.clock.now = t(minutes=100)
    s.add_update(sev1, "rolled back", actor="U1")
    assert run.at(t(minutes=129), update) == []
    assert run.at(t(minutes=130), update) == [(update, sev1)]

    run.clock.now = t(minutes=135)
    s.transition(sev1, "mitigated", actor="U1")
    assert run.at(t(hours=5), update) == []
    assert len(run.outbox(effects.REMIND_UPDATE)) == 4


def test_update_interval_follows_the_severity(run: Runner, core: Core) -> None:
    sev3 = core.service.declare(title="Slow search", severity="SEV3", actor="U1").id
    update = reminders.UPDATE
    assert run.at(t(hours=3, minutes=59), update) == []
    assert run.at(t(hours=4), update) == [(reminders.UPDATE, sev3)]
    run.clock.now = t(hours=4, minutes=1)
    core.service.set_severity(sev3, "SEV2", actor="U1")  # 1 h from the last nudge now
    assert run.at(t(hours=4, minutes=59), update) == []
    assert run.at(t(hours=5), update) == [(reminders.UPDATE, sev3)]


def test_empty_roles_on_a_major_incident_are_nudged_once(run: Runner, core: Core) -> None:
    s = core.service
    bare = s.declare(title="Checkout down", severity="SEV1", actor="U1").id
    staffed = s.declare(title="Payments slow", severity="SEV2", actor="U1").id
    s.declare(title="Minor", severity="SEV3", actor="U1")
    run.clock.now = t(minutes=5)
    s.assign_role(staffed, "comms", "U2", actor="U1")
    s.assign_role(staffed, "scribe", "U3", actor="U1")
    s.assign_role(bare, "scribe", "U3", actor="U1")

    assert run.at(t(minutes=9)) == []
    assert run.at(t(minutes=10)) == [(reminders.ROLES, bare)]
    assert run.at(t(minutes=20)) == []
    assert run.outbox(effects.REMIND_ROLES)[0]["missing"] == ["communications"]


def test_overdue_postmortem_dm_once_a_working_day(run: Runner, core: Core) -> None:
    s = core.service
    late = s.declare(title="Checkout down", severity="SEV2", actor="U1").id
    run.clock.now = t(hours=1)  # mitigated Monday 2 Mar 10:00
    s.transition(late, "mitigated", actor="U1")
    published = s.declare(title="Search down", severity="SEV1", actor="U1").id
    s.transition(published, "mitigated", actor="U1")
    s.record_postmortem(published, page_id="42", url="https://wiki.example/pm/42")
    drill = s.declare(title="Game day", severity="SEV1", actor="U1", drill=True).id
    s.transition(drill, "mitigated", actor="U1")

    due = reminders.POSTMORTEM_DUE
    assert run.at(t(days=7, hours=1)) == []  # exactly 5 business days: not yet overdue
    assert run.at(t(days=7, hours=1, minutes=1)) == [(due, late)]
    assert run.at(t(days=7, hours=6)) == []  # once that day
    assert run.at(t(days=8, hours=-2)) == []  # Tuesday 07:00: before working hours
    assert run.at(t(days=8)) == [(due, late)]
    assert run.at(t(days=12)) == []  # Saturday
    assert run.outbox(effects.REMIND_POSTMORTEM)[0]["user"] == "U1"
    run.clock.now = t(days=13)
    s.record_postmortem(late, page_id="43", url="https://wiki.example/pm/43")
    assert run.at(t(days=14)) == []  # Monday, published at last


def test_failure_class_is_asked_once_unless_given_at_close(run: Runner, core: Core) -> None:
    s = core.service
    asked = s.declare(title="Bad deploy", severity="SEV3", actor="U1").id
    given = s.declare(title="Full disk", severity="SEV3", actor="U1").id
    dupe = s.declare(title="Same again", severity="SEV3", actor="U1").id
    for incident_id in (asked, given, dupe):
        s.record_slack(incident_id, channel_id=f"C{incident_id}")
        s.transition(incident_id, "mitigated", actor="U1")
    s.close(asked, actor="U1")
    s.close(given, actor="U1", failure_class="capacity or load")
    s.reopen(dupe, reason="not fixed", actor="U1")
    s.close(dupe, actor="U1", reason="duplicate")

    assert run.at(t(minutes=1)) == [(reminders.FAILURE_CLASS, asked)]
    assert run.at(t(minutes=2)) == []


def test_two_passes_racing_on_the_same_nudge_record_it_once(run: Runner, core: Core) -> None:
    sev3 = core.service.declare(title="Slow search", severity="SEV3", actor="U1").id
    now = t(hours=4)
    with core.factory() as session:
        decided = reminders.decide(session, run.policy, now)
    assert [(n.kind, n.incident_id) for n in decided] == [(reminders.UPDATE, sev3)]
    with transaction(core.factory) as session:
        reminders.record(session, decided, now)
    # A second worker that decided on the same state loses on the unique key.
    with pytest.raises(IntegrityError):
        with transaction(core.factory) as session:
            reminders.record(session, decided, now)
    with core.factory() as session:
        assert len(session.scalars(select(Reminder)).all()) == 1
    assert len(run.outbox(effects.REMIND_UPDATE)) == 1


def test_a_nudge_no_longer_due_at_delivery_is_dropped(run: Runner, core: Core) -> None:
    s = core.service
    incident = s.declare(title="Checkout down", severity="SEV1", actor="U1")
    decided = t(minutes=30)
    with core.factory() as session:
        fresh = session.get(type(incident), incident.id)
        assert fresh is not None
        assert reminders.still_due(reminders.UPDATE, fresh, decided)
    run.clock.now = t(minutes=31)
    s.add_update(incident.id, "on it", actor="U1")
    with core.factory() as session:
        fresh = session.get(type(incident), incident.id)
        assert fresh is not None
        assert not reminders.still_due(reminders.UPDATE, fresh, decided)
        assert reminders.still_due(reminders.ROLES, fresh, decided)
