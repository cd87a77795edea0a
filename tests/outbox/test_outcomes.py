"""What a handler made is recorded with its delivery: both or neither, never one alone."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from firefighter import faults
from firefighter.bootstrap import Core
from firefighter.db import transaction
from firefighter.incidents.models import Incident
from firefighter.incidents.outcomes import ChannelOpened, IncidentCardPosted
from firefighter.outbox import Message, RetryLater, enqueue, progress
from firefighter.outbox.models import OutboxItem
from tests.conftest import FakeClock


class WorkerDied(BaseException):
    """Ends a delivery as SIGKILL does: nothing after it runs."""


def die(detail: str) -> None:
    raise WorkerDied(detail)


def channel(core: Core, incident_id: int) -> tuple[str | None, str | None]:
    with core.factory() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return incident.channel_id, incident.card_ts


def item(core: Core) -> OutboxItem:
    with core.factory() as session:
        return session.scalars(select(OutboxItem).where(OutboxItem.kind == "open")).one()


def queued(core: Core, clock: FakeClock) -> int:
    """An incident (its own channel effect left undelivered) and an item of kind "open"."""
    incident = core.service.declare(title="DNS", severity="SEV2", actor="U1")
    with transaction(core.factory) as session:
        enqueue(session, "open", {"incident_id": incident.id}, now=clock())
    return incident.id


def opens(message: Message) -> ChannelOpened:
    return ChannelOpened(int(message.payload["incident_id"]), "C42", "inc-dns")


def test_a_handler_s_outcome_is_recorded_with_its_delivery(core: Core, clock: FakeClock) -> None:
    incident_id = queued(core, clock)
    dispatcher = core.dispatcher()
    dispatcher.register("open", opens)
    assert dispatcher.run_once() == 1
    assert channel(core, incident_id) == ("C42", None)
    assert item(core).delivered_at is not None


@pytest.mark.parametrize("point", [faults.HANDLED, faults.OUTCOME_RECORDED])
def test_a_worker_dying_before_the_commit_leaves_neither_the_outcome_nor_the_delivery(
    core: Core, clock: FakeClock, point: str
) -> None:
    incident_id = queued(core, clock)
    dying = core.dispatcher(lease_seconds=30)
    dying.register("open", opens)
    core.faults.arm(point, die)
    with pytest.raises(WorkerDied):
        dying.run_once()
    core.faults.disarm(point)
    assert channel(core, incident_id) == (None, None)
    assert item(core).delivered_at is None
    clock.advance(seconds=31)
    survivor = core.dispatcher(lease_seconds=30)
    survivor.register("open", opens)
    assert survivor.run_once() == 1
    assert channel(core, incident_id) == ("C42", None)
    assert item(core).delivered_at is not None


def test_steps_finished_before_a_failure_are_recorded_so_the_retry_resumes_after_them(
    core: Core, clock: FakeClock
) -> None:
    incident_id = queued(core, clock)
    seen: list[tuple[str | None, str | None]] = []

    def in_steps(message: Message) -> list[object]:
        seen.append(channel(core, incident_id))
        with progress() as done:
            done.append(opens(message))
            if len(seen) == 1:
                raise RetryLater("Slack is down", delay=1)
            done.append(IncidentCardPosted(incident_id, "1.5"))
        return done

    dispatcher = core.dispatcher()
    dispatcher.register("open", in_steps)
    assert dispatcher.run_once() == 1
    assert channel(core, incident_id) == ("C42", None)
    assert item(core).delivered_at is None and item(core).attempts == 1
    clock.advance(seconds=5)
    assert dispatcher.run_once() == 1
    # The second attempt saw the channel of the first: it would not create another one.
    assert seen == [(None, None), ("C42", None)]
    assert channel(core, incident_id) == ("C42", "1.5")
    assert item(core).delivered_at is not None


@dataclass(frozen=True)
class Unknown:
    """An outcome nobody registered a recorder for."""


def test_an_outcome_without_a_recorder_is_a_dead_letter_not_a_silent_loss(
    core: Core, clock: FakeClock
) -> None:
    queued(core, clock)
    dispatcher = core.dispatcher()
    dispatcher.register("open", lambda _message: Unknown())
    assert dispatcher.run_once() == 1
    found = item(core)
    assert found.delivered_at is None and found.dead_at is not None
    assert "Unknown" in (found.last_error or "")


def test_a_recorder_that_refuses_makes_the_attempt_fail_instead_of_holding_the_item(
    core: Core, clock: FakeClock
) -> None:
    incident_id = queued(core, clock)

    def refuse(_session: object, _outcome: object) -> None:
        raise ValueError("that incident is gone")

    dispatcher = core.dispatcher(recorders={Unknown: refuse})
    dispatcher.register("open", lambda _message: Unknown())
    assert dispatcher.run_once() == 1
    found = item(core)
    assert found.delivered_at is None and found.attempts == 1
    assert "that incident is gone" in (found.last_error or "")
    assert found.locked_until is None  # retried after its backoff, not after a lease
    assert channel(core, incident_id) == (None, None)
