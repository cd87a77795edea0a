"""Every (state, command) pair against the lifecycle table of DESIGN.md, through the service."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from firefighter.bootstrap import Core
from firefighter.incidents import lifecycle
from firefighter.incidents.errors import InvalidInput, TransitionRefused
from firefighter.incidents.models import Incident, TimelineEvent

STATES = ["open", "investigating", "mitigating", "mitigated", "postmortem", "closed"]

# The table, written out by hand from DESIGN.md, independently of the code's own table.
PLAIN_MOVES = {
    "open": {"investigating", "mitigating", "mitigated"},
    "investigating": {"mitigating", "mitigated"},
    "mitigating": {"mitigated"},
    "mitigated": {"postmortem"},  # + closed when the severity needs no post-mortem
    "postmortem": {"closed"},
    "closed": set(),
}

PATHS = {
    "open": [],
    "investigating": ["investigating"],
    "mitigating": ["investigating", "mitigating"],
    "mitigated": ["investigating", "mitigating", "mitigated"],
    "postmortem": ["investigating", "mitigating", "mitigated", "postmortem"],
    "closed": ["investigating", "mitigating", "mitigated", "postmortem", "closed"],
}


def walk_to(core: Core, state: str, severity: str) -> Incident:
    incident = core.service.declare(title="Disk full on db-3", severity=severity, actor="U1")
    for step in PATHS[state]:
        incident = core.service.transition(incident.id, step, actor="U1")
    assert incident.status == state
    return incident


def snapshot(core: Core, incident_id: int) -> tuple[Any, ...]:
    with core.factory() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        events = session.scalar(
            select(func.count()).where(TimelineEvent.incident_id == incident_id)
        )
        return (incident.status, incident.version, events, incident.closed_at)


def expected_plain(state: str, target: str, severity: str) -> bool:
    allowed = set(PLAIN_MOVES[state])
    if state == "mitigated" and severity not in ("SEV1", "SEV2"):
        allowed.add("closed")
    return target in allowed


@pytest.mark.parametrize("severity", ["SEV1", "SEV3"])
@pytest.mark.parametrize("state", STATES)
def test_plain_moves_follow_the_table(core: Core, state: str, severity: str) -> None:
    for target in STATES:
        incident = walk_to(core, state, severity)
        before = snapshot(core, incident.id)
        if expected_plain(state, target, severity):
            moved = core.service.transition(incident.id, target, actor="U1")
            assert moved.status == target
            assert moved.version == before[1] + 1
            assert snapshot(core, incident.id)[2] > before[2]
            if target == "mitigated":
                assert moved.mitigated_at is not None
            if target == "closed":
                assert moved.closed_at is not None
                assert moved.closure_reason == "resolved"
        else:
            with pytest.raises(TransitionRefused) as refused:
                core.service.transition(incident.id, target, actor="U1")
            assert f"INC-{incident.id} is {state}" in str(refused.value)
            assert snapshot(core, incident.id) == before, f"{state}->{target} wrote something"


def test_refusal_names_the_state_and_what_is_allowed(core: Core) -> None:
    incident = walk_to(core, "mitigating", "SEV3")
    with pytest.raises(TransitionRefused) as refused:
        core.service.transition(incident.id, "postmortem", actor="U1")
    assert str(refused.value) == f"INC-{incident.id} is mitigating; it can move to mitigated."


@pytest.mark.parametrize("state", STATES)
def test_close_with_a_reason(core: Core, state: str) -> None:
    incident = walk_to(core, state, "SEV2")
    before = snapshot(core, incident.id)
    allowed = state in ("open", "investigating", "postmortem")
    if allowed:
        closed = core.service.close(incident.id, actor="U1", reason="duplicate")
        assert closed.status == "closed"
        assert closed.closure_reason == "duplicate"
        assert closed.closed_at is not None
    else:
        with pytest.raises(TransitionRefused):
            core.service.close(incident.id, actor="U1", reason="duplicate")
        assert snapshot(core, incident.id) == before


@pytest.mark.parametrize("state", ["open", "investigating"])
def test_early_close_needs_a_reason(core: Core, state: str) -> None:
    incident = walk_to(core, state, "SEV4")
    before = snapshot(core, incident.id)
    with pytest.raises(TransitionRefused) as refused:
        core.service.close(incident.id, actor="U1")
    assert "closure reason" in str(refused.value)
    assert "false_positive" in str(refused.value)
    assert snapshot(core, incident.id) == before


def test_sev1_cannot_skip_its_postmortem(core: Core) -> None:
    incident = walk_to(core, "mitigated", "SEV1")
    with pytest.raises(TransitionRefused) as refused:
        core.service.close(incident.id, actor="U1")
    assert "needs its post-mortem" in str(refused.value)


def test_unknown_closure_reason_is_refused_with_the_list(core: Core) -> None:
    incident = walk_to(core, "open", "SEV4")
    with pytest.raises(InvalidInput) as refused:
        core.service.close(incident.id, actor="U1", reason="bored")
    assert "resolved, duplicate" in str(refused.value)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("target", ["investigating", "mitigating"])
def test_reopen_only_from_mitigated_and_with_a_reason(core: Core, state: str, target: str) -> None:
    incident = walk_to(core, state, "SEV3")
    before = snapshot(core, incident.id)
    with pytest.raises(InvalidInput):
        core.service.reopen(incident.id, reason="  ", actor="U1", target=target)
    assert snapshot(core, incident.id) == before
    if state == "mitigated":
        reopened = core.service.reopen(
            incident.id, reason="errors are back", actor="U1", target=target
        )
        assert reopened.status == target
        assert reopened.mitigated_at is None
        with core.factory() as session:
            kinds = list(
                session.scalars(
                    select(TimelineEvent.kind)
                    .where(TimelineEvent.incident_id == incident.id)
                    .order_by(TimelineEvent.id)
                )
            )
        assert kinds[-1] == "reopened"
    else:
        with pytest.raises(TransitionRefused):
            core.service.reopen(incident.id, reason="errors are back", actor="U1", target=target)
        assert snapshot(core, incident.id) == before


def test_next_states_drive_the_buttons() -> None:
    assert lifecycle.next_states("open", postmortem_required=True) == [
        "investigating",
        "mitigating",
        "mitigated",
    ]
    assert lifecycle.next_states("mitigated", postmortem_required=True) == ["postmortem"]
    assert lifecycle.next_states("mitigated", postmortem_required=False) == [
        "postmortem",
        "closed",
    ]
    assert lifecycle.next_states("closed", postmortem_required=False) == []
    assert lifecycle.reopen_targets("mitigated") == ["investigating", "mitigating"]


def test_mermaid_diagram_comes_from_the_table() -> None:
    diagram = lifecycle.mermaid()
    assert "mitigating --> mitigated" in diagram
    assert "open --> closed : early close, with a reason" in diagram
