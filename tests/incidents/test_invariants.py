"""Random command sequences through the service never break the lifecycle's invariants."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from firefighter.bootstrap import Core, build_core
from firefighter.incidents.errors import IncidentError
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.settings import Settings
from tests.conftest import FakeClock

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"]
STATUSES = ["open", "investigating", "mitigating", "mitigated", "postmortem", "closed"]
REASONS = [None, "resolved", "duplicate", "false_positive", "nonsense"]


def run_lifecycle_machine(settings_: Settings) -> None:
    clock = FakeClock(tick=timedelta(seconds=7))
    core = build_core(settings_, clock=clock)

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.core: Core = core
            self.ids: list[int] = []
            self.versions: dict[int, int] = {}

        def events(self, incident_id: int) -> int:
            with self.core.factory() as session:
                return int(
                    session.scalar(
                        select(func.count()).where(TimelineEvent.incident_id == incident_id)
                    )
                    or 0
                )

        def attempt(self, incident_id: int, command: object) -> None:
            before = self.events(incident_id)
            try:
                incident = command()  # type: ignore[operator]
            except IncidentError:
                assert self.events(incident_id) == before, "a refused command wrote events"
                with self.core.factory() as session:
                    current = session.get(Incident, incident_id)
                    assert current is not None
                    assert current.version == self.versions[incident_id]
                return
            assert self.events(incident_id) > before, "an accepted command wrote no event"
            assert incident.version > self.versions[incident_id], "version did not increase"
            self.versions[incident_id] = incident.version

        @initialize(severity=st.sampled_from(SEVERITIES))
        def first(self, severity: str) -> None:
            # Start every run with a post-mortem severity and another one, so that steps
            # are spent on moves rather than on finding something to move.
            for name in ("SEV1", severity):
                self.declare(name)

        @rule(severity=st.sampled_from(SEVERITIES))
        def declare(self, severity: str) -> None:
            incident = self.core.service.declare(title="Latency", severity=severity, actor="U1")
            self.ids.append(incident.id)
            self.versions[incident.id] = incident.version

        @rule(index=st.integers(0, 5), to=st.sampled_from(STATUSES))
        def move(self, index: int, to: str) -> None:
            if not self.ids:
                return
            incident_id = self.ids[index % len(self.ids)]
            self.attempt(
                incident_id,
                lambda: self.core.service.transition(incident_id, to, actor="U1"),
            )

        @rule(index=st.integers(0, 5), reason=st.sampled_from(REASONS))
        def close(self, index: int, reason: str | None) -> None:
            if not self.ids:
                return
            incident_id = self.ids[index % len(self.ids)]
            self.attempt(
                incident_id,
                lambda: self.core.service.close(incident_id, actor="U1", reason=reason),
            )

        @rule(
            index=st.integers(0, 5),
            to=st.sampled_from(["investigating", "mitigating"]),
            reason=st.sampled_from(["", "errors are back"]),
        )
        def reopen(self, index: int, to: str, reason: str) -> None:
            if not self.ids:
                return
            incident_id = self.ids[index % len(self.ids)]
            self.attempt(
                incident_id,
                lambda: self.core.service.reopen(incident_id, reason=reason, actor="U1", target=to),
            )

        @rule(index=st.integers(0, 5), severity=st.sampled_from(SEVERITIES))
        def severity(self, index: int, severity: str) -> None:
            if not self.ids:
                return
            incident_id = self.ids[index % len(self.ids)]
            self.attempt(
                incident_id,
                lambda: self.core.service.set_severity(incident_id, severity, actor="U1"),
            )

        @rule(index=st.integers(0, 5), text=st.sampled_from(["", "still broken", "x" * 3001]))
        def update(self, index: int, text: str) -> None:
            if not self.ids:
                return
            incident_id = self.ids[index % len(self.ids)]
            self.attempt(
                incident_id,
                lambda: self.core.service.add_update(incident_id, text, actor="U4"),
            )

        @rule(
            index=st.integers(0, 5),
            role=st.sampled_from(["commander", "comms", "scribe", "janitor"]),
            user=st.sampled_from(["U1", "U5"]),
        )
        def role(self, index: int, role: str, user: str) -> None:
            if not self.ids:
                return
            incident_id = self.ids[index % len(self.ids)]
            self.attempt(
                incident_id,
                lambda: self.core.service.assign_role(incident_id, role, user, actor="U1"),
            )

        @invariant()
        def milestones_hold(self) -> None:
            with self.core.factory() as session:
                for incident in session.scalars(select(Incident)):
                    declared = incident.declared_at
                    if incident.status == "closed":
                        assert incident.closed_at is not None
                        assert incident.closed_at >= declared
                        self.closed_properly(session, incident)
                    else:
                        assert incident.closed_at is None
                    if incident.acknowledged_at is not None:
                        assert declared <= incident.acknowledged_at
                    if incident.mitigated_at is not None:
                        assert declared <= incident.mitigated_at
                        if incident.closed_at is not None:
                            assert incident.mitigated_at <= incident.closed_at

        def closed_properly(self, session: object, incident: Incident) -> None:
            closing = session.scalar(  # type: ignore[attr-defined]
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == incident.id, TimelineEvent.kind == "closed"
                )
            )
            assert closing is not None
            source = closing.data["from"]
            if source == "mitigated":
                # Closing from mitigated skips the post-mortem: only a severity without one.
                severity_then = self.severity_at(session, incident.id, closing.id)
                assert severity_then not in ("SEV1", "SEV2"), "a SEV1/2 skipped its post-mortem"
            else:
                assert source in ("postmortem", "open", "investigating")
                if source != "postmortem":
                    assert closing.data["reason"] in ("resolved", "duplicate", "false_positive")

        def severity_at(self, session: object, incident_id: int, event_id: int) -> str:
            events = session.scalars(  # type: ignore[attr-defined]
                select(TimelineEvent)
                .where(TimelineEvent.incident_id == incident_id, TimelineEvent.id < event_id)
                .order_by(TimelineEvent.id)
            )
            severity = ""
            for event in events:
                if event.kind == "declared":
                    severity = event.data["severity"]
                elif event.kind == "severity_changed":
                    severity = event.data["to"]
            return severity

    try:
        run_state_machine_as_test(
            Lifecycle,
            settings=hypothesis_settings(
                max_examples=25,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            ),
        )
    finally:
        core.close()


def test_random_command_sequences_keep_the_invariants(settings: Settings) -> None:
    run_lifecycle_machine(settings)
