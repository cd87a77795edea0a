"""Delivering the outbox.

Delivery is at least once. A worker leases a due item in a short transaction, runs its
handler with no transaction open (handlers call Slack or Confluence), then records the
result in another short transaction. What the handler made (a channel id, a message ts) comes
back as typed outcomes, written by the recorders the core registered in that same transaction:
an item is delivered exactly when what its handler made is known.

Items wait in lanes: one per incident and target system (see `effect_types`). In a lane an
item waits while an older item of the same lane is undelivered, so a Jira that refuses
everything holds back that incident's Jira effects only, never its Slack redraws, and never
another incident. Among the heads of the lanes, the people-facing priority class goes first;
a batch takes one item per lane, so an incident with 500 queued items gets one turn per batch
like every other (round-robin). A batch that runs long is handed back and claimed afresh, so
an urgent item enqueued meanwhile does not wait behind a batch of triage cards.

A lease is a promise that nobody else delivers the item before it runs out. While this
dispatcher holds items, a heartbeat renews their leases every third of a lease, so a handler
that runs longer than a lease (a slow Confluence) is not delivered a second time in parallel;
a process that dies stops beating, and its leases run out as before. A dispatcher told to
stop hands back the items it has not started (the lease released, not left to expire), so
another worker takes them at once.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from firefighter.db import transaction, utcnow
from firefighter.db_outage import DatabaseWatch, unreachable
from firefighter.faults import HANDLED, NO_FAULTS, OUTCOME_RECORDED, Faults
from firefighter.outbox.effect_types import Priority
from firefighter.outbox.idempotency import Remembered, record_remembered
from firefighter.outbox.models import OutboxItem
from firefighter.outbox.queue import (
    Clock,
    Handler,
    Message,
    PermanentFailure,
    Recorder,
    RetryLater,
    outcomes_before,
    outcomes_of,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """How `deliver_now` left an item: delivered, dead, or still pending when time ran out."""

    state: str
    last_error: str | None

    @property
    def delivered(self) -> bool:
        """Whether the item's effect happened."""
        return self.state == "delivered"


@dataclass
class Backoff:
    """Exponential backoff with full jitter, capped."""

    base: float = 1.0
    cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failure."""
        ceiling = min(self.cap, self.base * (2 ** max(attempts - 1, 0)))
        # Half fixed, half random: never zero, yet replicas don't retry in lockstep.
        return float(ceiling / 2 + self.rng.uniform(0, ceiling / 2))


class Heartbeat:
    """Renews, every `interval` seconds, the leases of the items held; idle when none are.

    The thread runs only while something is held, so a dispatcher left behind (a CLI command,
    a test) leaves no thread polling its database.
    """

    def __init__(self, renew: Callable[[list[int]], int], interval: float) -> None:
        self.renew = renew
        self.interval = interval
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, ids: list[int]) -> None:
        """Start renewing the leases of `ids`."""
        with self._lock:
            self._held.update(ids)
            if self._thread is None and self._held:
                self._thread = threading.Thread(target=self._beat, name="lease-heartbeat")
                self._thread.daemon = True
                self._thread.start()

    def drop(self, ids: list[int]) -> None:
        """Stop renewing the leases of `ids` (delivered, failed or handed back)."""
        with self._lock:
            self._held.difference_update(ids)

    def held(self) -> list[int]:
        """The ids whose leases are renewed now."""
        with self._lock:
            return sorted(self._held)

    def _beat(self) -> None:
        while True:
            self._wake.wait(self.interval)
            with self._lock:
                ids = sorted(self._held)
                if not ids:
                    # Under the lock, so that a concurrent `hold` starts a new thread.
                    self._thread = None
                    return
            try:
                renewed = self.renew(ids)
            except Exception as error:  # the database may blink; the next beat tries again
                if not unreachable(error):  # the worker loop says once that it went away
                    log.exception("renewing the leases of outbox items %s failed", ids)
                continue
            if renewed < len(ids):
                # Taken over after a lease ran out (a beat came too late): at least once
                # still holds, the intent-then-post records keep posts single.
                log.warning("lost the lease of %d outbox item(s)", len(ids) - renewed)


class Dispatcher:
    """Leases due outbox items and hands each to the handler registered for its kind."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        clock: Clock = utcnow,
        max_attempts: int = 8,
        lease_seconds: float = 60.0,
        backoff: Backoff | None = None,
        worker_id: str | None = None,
        reclaim_seconds: float = 1.0,
        faults: Faults = NO_FAULTS,
        on_dead: Callable[[Message, str], None] | None = None,
        on_result: Callable[[Message, str], None] | None = None,
        recorders: dict[type, Recorder] | None = None,
    ) -> None:
        self.factory = factory
        self.faults = faults
        self.clock = clock
        self.max_attempts = max_attempts
        self.lease = timedelta(seconds=lease_seconds)
        self.backoff = backoff or Backoff()
        self.reclaim_seconds = reclaim_seconds
        # Shared by the delivery threads (see run_forever): one line per outage, not per thread.
        self.database = DatabaseWatch("outbox worker", log)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.handlers: dict[str, Handler] = {}
        # How each outcome type a handler may return is written (the core's, by the root).
        self.recorders: dict[type, Recorder] = {Remembered: record_remembered, **(recorders or {})}
        # Told about an item given up on (the incident's channel is told, by the root).
        self.on_dead = on_dead
        # Told "delivered", "retry" or "dead" after each attempt (the metrics).
        self.on_result = on_result
        self.heartbeat = Heartbeat(self._renew, max(lease_seconds / 3, 0.05))

    def register(self, kind: str, handler: Handler) -> None:
        """Deliver items of `kind` with `handler`."""
        self.handlers[kind] = handler

    def _claim(self, limit: int) -> list[Message]:
        now = self.clock()
        earlier = aliased(OutboxItem)
        # One probe of ix_outbox_lane_pending (incident, target, id) per candidate.
        blocked_by_older = exists().where(
            and_(
                earlier.incident_id == OutboxItem.incident_id,
                earlier.target == OutboxItem.target,
                earlier.id < OutboxItem.id,
                earlier.delivered_at.is_(None),
                earlier.dead_at.is_(None),
                earlier.ordered.is_(True),
                # A background item (a reminder) never holds back a people-facing one behind
                # it; a background item still waits for the people-facing ones before it
                # (a drill's symptom waits for its channel).
                earlier.priority <= OutboxItem.priority,
            )
        )
        query = (
            select(OutboxItem)
            .where(
                OutboxItem.delivered_at.is_(None),
                OutboxItem.dead_at.is_(None),
                OutboxItem.next_attempt_at <= now,
                # Kinds this process cannot handle stay queued for a process that can
                # (`postmortem export` in a CLI must not touch the Slack effects).
                OutboxItem.kind.in_(list(self.handlers)),
                or_(OutboxItem.locked_until.is_(None), OutboxItem.locked_until < now),
                or_(
                    OutboxItem.incident_id.is_(None),
                    OutboxItem.ordered.is_(False),
                    ~blocked_by_older,
                ),
            )
            # ix_outbox_priority_pending walks this order and stops at the limit.
            .order_by(OutboxItem.priority, OutboxItem.id)
            .limit(limit)
        )
        with transaction(self.factory) as session:
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=OutboxItem)
            items = list(session.scalars(query))
            claimed: list[Message] = []
            seen_lanes: set[tuple[int, str]] = set()
            for item in items:
                # One item per lane per batch: each incident gets its turn in every batch.
                if item.incident_id is not None:
                    lane = (item.incident_id, item.target if item.ordered else f"#{item.id}")
                    if lane in seen_lanes:
                        continue
                    seen_lanes.add(lane)
                item.locked_by = self.worker_id
                item.locked_until = now + self.lease
                claimed.append(
                    Message(
                        item.id,
                        item.kind,
                        dict(item.payload),
                        item.incident_id,
                        item.attempts,
                        item.target,
                        item.priority,
                    )
                )
        # After the commit: a beat must not renew a lease this transaction might not grant.
        self.heartbeat.hold([m.id for m in claimed])
        return claimed

    def _renew(self, ids: list[int]) -> int:
        with transaction(self.factory) as session:
            result = session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.id.in_(ids),
                    OutboxItem.locked_by == self.worker_id,
                    OutboxItem.delivered_at.is_(None),
                    OutboxItem.dead_at.is_(None),
                )
                .values(locked_until=self.clock() + self.lease)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def _finish(
        self, message: Message, error: BaseException | None, outcomes: tuple[object, ...]
    ) -> None:
        try:
            try:
                self._record(message, error, outcomes)
            except Exception as failed:
                if unreachable(failed) or not outcomes:
                    raise
                # A recorder that refuses (the incident was deleted meanwhile) must not hold
                # the item forever: the attempt counts as failed and the item retries, then dies.
                log.exception("recording what outbox item %s made failed", message.id)
                self._record(message, failed, ())
        finally:
            self.heartbeat.drop([message.id])

    def _record(
        self, message: Message, error: BaseException | None, outcomes: tuple[object, ...]
    ) -> None:
        now = self.clock()
        result = "delivered"
        with transaction(self.factory) as session:
            item = session.get(OutboxItem, message.id)
            if item is None or item.delivered_at is not None:
                return
            for outcome in outcomes:
                self.recorders[type(outcome)](session, outcome)
            item.locked_by = None
            item.locked_until = None
            if error is None:
                item.delivered_at = now
                item.last_error = None
            else:
                waited = isinstance(error, RetryLater) and not error.counts
                if not waited:
                    item.attempts += 1
                item.last_error = f"{type(error).__name__}: {error}"[:2000]
                permanent = isinstance(error, PermanentFailure)
                if permanent or (not waited and item.attempts >= self.max_attempts):
                    item.dead_at = now
                    result = "dead"
                else:
                    delay = error.delay if isinstance(error, RetryLater) and error.delay else None
                    item.next_attempt_at = now + timedelta(
                        seconds=delay if delay is not None else self.backoff.delay(item.attempts)
                    )
                    result = "retry"
            self.faults.reach(OUTCOME_RECORDED, message.kind)
        if self.on_result is not None:
            self.on_result(message, result)
        if result == "dead" and self.on_dead is not None:
            try:
                self.on_dead(message, str(error))
            except Exception:  # the dead letter stays visible even if telling people fails
                log.exception("dead-letter notification failed for outbox item %s", message.id)

    def release(self, messages: list[Message]) -> None:
        """Hand back items leased and not started: due again at once for any worker."""
        ids = [m.id for m in messages]
        try:
            with transaction(self.factory) as session:
                session.execute(
                    update(OutboxItem)
                    .where(
                        OutboxItem.id.in_(ids),
                        OutboxItem.locked_by == self.worker_id,
                        OutboxItem.delivered_at.is_(None),
                    )
                    .values(locked_by=None, locked_until=None)
                )
        finally:
            self.heartbeat.drop(ids)

    def run_once(self, limit: int = 20, *, stop: threading.Event | None = None) -> int:
        """Deliver what is due now; returns how many items were attempted.

        Once `stop` is set no further item of the batch is started: they are handed back.
        """
        messages = self._claim(limit)
        # Items waiting in the batch behind a slow one hold up their incidents (and keep
        # their leases through the heartbeat): past half a lease, hand them to other workers.
        give_up_at = self.clock() + self.lease / 2
        # Past `reclaim_seconds`, items below the people-facing class are handed back and the
        # next claim sorts again: an incident declared now does not wait behind 20 cards.
        reclaim_at = time.monotonic() + self.reclaim_seconds
        try:
            for index, message in enumerate(messages):
                stopping = stop is not None and stop.is_set()
                late = index > 0 and self.clock() > give_up_at
                behind = (
                    index > 0
                    and message.priority > Priority.PEOPLE
                    and time.monotonic() > reclaim_at
                )
                if stopping or late or behind:
                    self.release(messages[index:])
                    if stopping:
                        log.info("stopping: handed back %d outbox item(s)", len(messages) - index)
                    return index
                self._deliver(message)
        except BaseException:
            # The thread is dying (an interpreter exit, a simulated crash) with no outcome
            # recorded: its leases must run out as a dead process's do, not be renewed.
            self.heartbeat.drop([m.id for m in messages])
            raise
        return len(messages)

    def _deliver(self, message: Message) -> None:
        error: BaseException | None = None
        outcomes: tuple[object, ...] = ()
        try:
            outcomes = outcomes_of(self.handlers[message.kind](message))
            unknown = sorted({type(o).__name__ for o in outcomes if type(o) not in self.recorders})
            if unknown:
                raise PermanentFailure(f"no recorder for the outcome(s) {unknown}")
            # Done outside, not yet recorded: a worker dying here is what makes delivery
            # at-least-once, and every handler must survive the redelivery.
            self.faults.reach(HANDLED, message.kind)
        except Exception as exc:  # a failing effect must never stop the worker
            # Steps finished before the failure are kept, so the retry resumes after them.
            outcomes = tuple(o for o in outcomes_before(exc) if type(o) in self.recorders)
            log.warning(
                "outbox item %s (%s) failed: %s",
                message.id,
                message.kind,
                exc,
                extra={"incident_id": message.incident_id},
            )
            error = exc
        self._finish(message, error, outcomes)

    def drain(self, *, max_rounds: int = 1000) -> int:
        """Deliver until nothing is due now (tests and the demo use this)."""
        total = 0
        for _ in range(max_rounds):
            done = self.run_once()
            total += done
            if done == 0:
                break
        return total

    def run_forever(self, stop: threading.Event, idle_sleep: float = 0.2, limit: int = 20) -> None:
        """Poll until `stop` is set, leasing up to `limit` items at a time."""
        watch = self.database
        watch.base = idle_sleep
        while not stop.is_set():
            wait: float | None = None
            try:
                began = time.monotonic()
                done = self.run_once(limit, stop=stop)
                watch.succeeded(began)
            except Exception as error:  # the database may blink; keep the worker alive
                wait = watch.failed(error, "outbox poll failed")
                done = 0
            if done == 0:
                stop.wait(idle_sleep if wait is None else max(wait, idle_sleep))

    def deliver_now(self, item_id: int, timeout: float, *, poll_seconds: float = 0.2) -> Delivery:
        """Deliver in this process until item `item_id` is delivered or dead, or `timeout` s pass.

        Items ahead of it (same incident) are delivered first when this dispatcher has their
        handlers; kinds it has none for stay queued for the worker.
        """
        deadline = time.monotonic() + timeout
        while True:
            done = self.run_once(limit=500)
            with self.factory() as session:
                item = session.get(OutboxItem, item_id)
                if item is None:
                    return Delivery("missing", f"there is no outbox item {item_id}")
                if item.delivered_at is not None:
                    return Delivery("delivered", None)
                if item.dead_at is not None:
                    return Delivery("dead", item.last_error)
                last_error = item.last_error
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Delivery("pending", last_error)
            if done == 0:
                time.sleep(min(poll_seconds, remaining))
