"""Two writers on the same incident version: exactly one wins, nothing is lost."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from firefighter import faults
from firefighter.bootstrap import Core, build_core
from firefighter.incidents.errors import Conflict
from firefighter.incidents.models import Incident, TimelineEvent


def test_same_version_two_writers_one_conflict(core: Core) -> None:
    incident = core.service.declare(title="Queue backlog", severity="SEV3", actor="U1")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}
    # Two engines, as two replicas have: within one process SQLite writers take turns.
    # Each writer, having read the incident, waits until the other has read it too.
    core.faults.arm(faults.INCIDENT_LOADED, lambda _incident: barrier.wait(timeout=10))
    other = build_core(core.settings, clock=core.service.clock, faults=core.faults)
    cores = {"a": core, "b": other}

    def run(name: str, command: str) -> None:
        service = cores[name].service
        try:
            if command == "status":
                service.transition(incident.id, "investigating", actor="U1")
            else:
                service.set_severity(incident.id, "SEV2", actor="U2")
            outcomes[name] = "ok"
        except Conflict as error:
            outcomes[name] = error
        except Exception as error:  # anything else is a bug worth seeing in the assertion
            outcomes[name] = repr(error)

    threads = [
        threading.Thread(target=run, args=("a", "status")),
        threading.Thread(target=run, args=("b", "severity")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    other.close()

    winners = [name for name, outcome in outcomes.items() if outcome == "ok"]
    losers = [name for name, outcome in outcomes.items() if isinstance(outcome, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    with core.factory() as session:
        current = session.get(Incident, incident.id)
        assert current is not None
        assert current.version == incident.version + 1
        events = session.scalar(
            select(func.count()).where(TimelineEvent.incident_id == incident.id)
        )
    assert events == 2  # declared + the winner's change, nothing from the loser
    if winners == ["a"]:
        assert (current.status, current.severity) == ("investigating", "SEV3")
    else:
        assert (current.status, current.severity) == ("open", "SEV2")


def test_stale_expected_version_is_refused(core: Core) -> None:
    incident = core.service.declare(title="Queue backlog", severity="SEV3", actor="U1")
    core.service.transition(incident.id, "investigating", actor="U1")
    with pytest.raises(Conflict) as refused:
        core.service.transition(
            incident.id, "mitigating", actor="U2", expected_version=incident.version
        )
    assert "is now investigating" in str(refused.value)
