"""The outbox delivers every effect at least once, in order per incident, with backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from firefighter import faults
from firefighter.bootstrap import Core
from firefighter.db import transaction
from firefighter.incidents import effects
from firefighter.outbox import Message, PermanentFailure, RetryLater, enqueue, retry_dead
from firefighter.outbox.models import OutboxItem
from tests.conftest import FakeClock


class Recorder:
    """A test handler that fails on demand and remembers what it delivered."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.delivered: list[Message] = []

    def __call__(self, message: Message) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RetryLater("Slack is down")
        self.delivered.append(message)


def items(core: Core) -> list[OutboxItem]:
    with core.factory() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_a_command_enqueues_effects_that_get_delivered(core: Core) -> None:
    recorder = Recorder()
    dispatcher = core.dispatcher()
    for kind in effects.ALL:
        dispatcher.register(kind, recorder)
    incident = core.service.declare(title="DNS", severity="SEV2", actor="U1")
    core.service.add_update(incident.id, "resolvers restarted", actor="U1")
    assert dispatcher.drain() == 2
    kinds = [m.kind for m in recorder.delivered]
    # declare opens the channel; the update is posted (the card shows no updates)
    assert kinds == [effects.OPEN_CHANNEL, effects.POST_EVENT]
    assert all(i.delivered_at is not None for i in items(core))
    assert dispatcher.drain() == 0


def test_retry_with_backoff_keeps_order_per_incident(core: Core, clock: FakeClock) -> None:
    clock.tick = timedelta(0)
    flaky = Recorder(failures=2)
    dispatcher = core.dispatcher()
    dispatcher.register("first", flaky)
    dispatcher.register("second", flaky)
    dispatcher.register("other", flaky)
    incident = core.service.declare(title="DNS", severity="SEV2", actor="U1")
    other = core.service.declare(title="CDN", severity="SEV3", actor="U1")
    with transaction(core.factory) as session:
        session.query(OutboxItem).delete()
        enqueue(session, "first", {"n": 1}, incident_id=incident.id, now=clock())
        enqueue(session, "second", {"n": 2}, incident_id=incident.id, now=clock())
        enqueue(session, "other", {"n": 3}, incident_id=other.id, now=clock())

    dispatcher.run_once()  # "first" and "other" fail; "second" must wait behind "first"
    assert flaky.delivered == []
    first = items(core)[0]
    assert first.attempts == 1 and first.last_error == "RetryLater: Slack is down"
    assert first.next_attempt_at > clock.now  # backoff: not due yet
    assert dispatcher.run_once() == 0  # nothing is due before the backoff elapses

    clock.advance(seconds=1)
    dispatcher.run_once()
    clock.advance(seconds=5)
    dispatcher.drain()
    delivered = [m.payload["n"] for m in flaky.delivered]
    assert sorted(delivered) == [1, 2, 3]
    assert delivered.index(1) < delivered.index(2)


def test_backoff_grows_and_is_jittered(core: Core) -> None:
    dispatcher = core.dispatcher()
    delays = [dispatcher.backoff.delay(n) for n in range(1, 8)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(300.0, 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert delays[-1] > delays[0] * 10


def test_dead_letter_after_max_attempts_then_retry(core: Core, clock: FakeClock) -> None:
    dead: list[str] = []
    dispatcher = core.dispatcher(on_dead=lambda _message, error: dead.append(error))
    dispatcher.max_attempts = 3
    always = Recorder(failures=10**6)
    dispatcher.register("x", always)
    with transaction(core.factory) as session:
        enqueue(session, "x", {}, now=clock())
    for _ in range(5):
        dispatcher.run_once()
        clock.advance(seconds=600)
    item = items(core)[0]
    assert item.attempts == 3 and item.dead_at is not None and item.delivered_at is None
    assert dead == ["Slack is down"]
    always.failures = 0
    with transaction(core.factory) as session:
        assert retry_dead(session, now=clock()) == 1
    dispatcher.drain()
    assert items(core)[0].delivered_at is not None


def test_permanent_failure_is_dead_at_once_and_unknown_kinds_wait(
    core: Core, clock: FakeClock
) -> None:
    dispatcher = core.dispatcher()

    def refuse(message: Message) -> None:
        raise PermanentFailure("missing_scope: chat:write")

    dispatcher.register("refused", refuse)
    with transaction(core.factory) as session:
        enqueue(session, "refused", {}, now=clock())
        enqueue(session, "nobody-handles-this", {}, now=clock())
    dispatcher.drain()
    rows = items(core)
    assert rows[0].dead_at is not None and rows[0].attempts == 1
    # A kind this process has no handler for waits, untouched, for one that has.
    assert (rows[1].dead_at, rows[1].attempts, rows[1].locked_by) == (None, 0, None)
    later = core.dispatcher()
    later.register("nobody-handles-this", lambda _message: None)
    assert later.drain() == 1


class WorkerDied(BaseException):
    """Ends a delivery as SIGKILL does: neither the handler nor the dispatcher records it."""


def test_a_crashed_worker_lease_expires_and_the_item_is_redelivered(
    core: Core, clock: FakeClock
) -> None:
    recorder = Recorder()

    def killed(message: Message) -> None:
        raise WorkerDied("killed while delivering")

    crashed = core.dispatcher(lease_seconds=30)
    crashed.register("x", killed)
    with transaction(core.factory) as session:
        enqueue(session, "x", {}, now=clock())
    with pytest.raises(WorkerDied):
        crashed.run_once()  # leased, then the worker dies before delivering
    survivor = core.dispatcher(lease_seconds=30)
    survivor.register("x", recorder)
    assert survivor.run_once() == 0  # the lease still holds
    clock.advance(seconds=31)
    assert survivor.run_once() == 1
    assert len(recorder.delivered) == 1


def test_a_worker_dying_after_the_work_before_its_record_has_the_item_delivered_again(
    core: Core, clock: FakeClock
) -> None:
    recorder = Recorder()
    dying = core.dispatcher(lease_seconds=30)
    dying.register("x", recorder)
    with transaction(core.factory) as session:
        enqueue(session, "x", {}, now=clock())

    def die(kind: str) -> None:
        raise WorkerDied(kind)

    core.faults.arm(faults.HANDLED, die)
    with pytest.raises(WorkerDied):
        dying.run_once()
    core.faults.disarm(faults.HANDLED)
    assert len(recorder.delivered) == 1 and items(core)[0].delivered_at is None
    assert dying.heartbeat.held() == []  # a dead worker's lease is not renewed
    survivor = core.dispatcher(lease_seconds=30)
    survivor.register("x", recorder)
    assert survivor.run_once() == 0  # the lease still holds
    clock.advance(seconds=31)
    assert survivor.run_once() == 1
    # At least once: the handler ran twice, which is why every handler must be idempotent.
    assert len(recorder.delivered) == 2 and items(core)[0].delivered_at is not None


def test_a_fault_point_that_the_code_never_reaches_cannot_be_armed(core: Core) -> None:
    with pytest.raises(faults.UnknownPoint):
        core.faults.arm("slack.card_psoted", lambda _detail: None)
    with pytest.raises(RuntimeError):
        faults.NO_FAULTS.arm(faults.HANDLED, lambda _detail: None)


def test_rate_limited_retries_do_not_bring_an_item_closer_to_the_dead_letters(
    core: Core, clock: FakeClock
) -> None:
    dispatcher = core.dispatcher()
    dispatcher.max_attempts = 2
    waits = {"left": 5}

    def rate_limited(message: Message) -> None:
        if waits["left"]:
            waits["left"] -= 1
            raise RetryLater("Slack answered ratelimited", delay=1, counts=False)

    dispatcher.register("x", rate_limited)
    with transaction(core.factory) as session:
        enqueue(session, "x", {}, now=clock())
    for _ in range(6):
        dispatcher.run_once()
        clock.advance(seconds=2)
    item = items(core)[0]
    assert item.delivered_at is not None and item.dead_at is None
    assert item.attempts == 0 and waits["left"] == 0


def test_a_batch_gives_back_what_it_cannot_start_within_half_its_lease(
    core: Core, clock: FakeClock
) -> None:
    clock.tick = timedelta(0)
    dispatcher = core.dispatcher(lease_seconds=10)
    seen: list[int] = []

    def slow(message: Message) -> None:
        seen.append(message.id)
        clock.advance(seconds=6)  # past half the lease after the first item

    dispatcher.register("x", slow)
    with transaction(core.factory) as session:
        for _ in range(3):
            enqueue(session, "x", {}, now=clock())
    assert dispatcher.run_once() == 1
    rows = items(core)
    assert [r.delivered_at is not None for r in rows] == [True, False, False]
    assert [r.locked_until for r in rows[1:]] == [None, None]  # free for any worker now
    other = core.dispatcher(lease_seconds=10)
    other.register("x", slow)
    assert other.drain() == 2
    assert seen == [r.id for r in rows]
