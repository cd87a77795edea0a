"""The outbox: effects written in the same transaction as the change, delivered afterwards.

This module is what the writers need: `enqueue` inside their transaction, and the words
handlers use to say how a delivery went. `dispatcher` delivers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import utcnow
from firefighter.outbox.effect_types import Effect, lane_of
from firefighter.outbox.models import OutboxItem

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Message:
    """What a handler receives: one outbox item, detached from the database."""

    id: int
    kind: str
    payload: dict[str, Any]
    incident_id: int | None
    attempts: int
    target: str = "internal"
    priority: int = 1


Handler = Callable[[Message], object]
"""Delivers one item; returns None, an outcome, or a list of outcomes (see `Recorder`)."""

Recorder = Callable[[Session, Any], None]
"""Writes one kind of outcome (what a handler made: a channel id, a message ts).

The core registers one per outcome type; the dispatcher calls it in the transaction that marks
the item delivered, so a handler never opens a session and what it made is recorded exactly
when its delivery is.
"""

_DONE = "outbox_outcomes"


def outcomes_of(result: object) -> tuple[object, ...]:
    """A handler's result as a tuple of outcomes."""
    if result is None:
        return ()
    if isinstance(result, list | tuple):
        return tuple(result)
    return (result,)


@contextmanager
def progress() -> Iterator[list[object]]:
    """Outcomes of a handler's finished steps, recorded even when a later step fails.

    A handler in several steps (create the channel, post the card, pin it) appends what each
    step made; a retry then resumes at the step that failed instead of repeating the others.
    """
    done: list[object] = []
    try:
        yield done
    except Exception as error:
        setattr(error, _DONE, tuple(done))
        raise


def outcomes_before(error: BaseException) -> tuple[object, ...]:
    """What a failed handler finished before `error` (see `progress`)."""
    return tuple(getattr(error, _DONE, ()))


class RetryLater(Exception):
    """Raised by a handler that wants another attempt after `delay` seconds.

    `counts=False` when the other side asked us to wait (a rate limit): nothing failed, so
    the attempt does not bring the item closer to the dead letters.
    """

    def __init__(self, message: str, delay: float | None = None, *, counts: bool = True) -> None:
        super().__init__(message)
        self.delay = delay
        self.counts = counts


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help (bad request, missing permission)."""


def enqueue(
    session: Session,
    effect: Effect | str,
    payload: dict[str, Any] | None = None,
    *,
    incident_id: int | None = None,
    now: datetime | None = None,
) -> OutboxItem:
    """Add an effect to the current transaction; it is delivered only if that commits.

    `effect` is a typed effect (its payload is its fields), or a kind's name with `payload`;
    the row takes the kind's target, priority and ordering from its declaration.
    """
    at = now or utcnow()
    if isinstance(effect, Effect):
        kind, body = effect.kind, {**effect.payload(), **(payload or {})}
    else:
        kind, body = effect, payload or {}
    lane = lane_of(kind)
    item = OutboxItem(
        kind=kind,
        payload=body,
        incident_id=incident_id,
        target=lane.target,
        priority=int(lane.priority),
        ordered=lane.ordered,
        attempts=0,
        next_attempt_at=at,
        created_at=at,
    )
    session.add(item)
    return item


def pending_count(session: Session) -> int:
    """Items not yet delivered nor dead."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.delivered_at.is_(None), OutboxItem.dead_at.is_(None))
        )
        or 0
    )


def retry_dead(session: Session, item_id: int | None = None, *, now: datetime | None = None) -> int:
    """Put dead-lettered items back in the queue; returns how many."""
    statement = (
        update(OutboxItem)
        .where(OutboxItem.dead_at.is_not(None), OutboxItem.delivered_at.is_(None))
        .values(dead_at=None, attempts=0, next_attempt_at=now or utcnow(), locked_until=None)
    )
    if item_id is not None:
        statement = statement.where(OutboxItem.id == item_id)
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def waiting_ahead(
    factory: sessionmaker[Session], item_id: int, incident_id: int, target: str
) -> list[tuple[str, str | None]]:
    """(kind, last error) of the undelivered items ahead of `item_id` in its lane."""
    with factory() as session:
        rows = session.execute(
            select(OutboxItem.kind, OutboxItem.last_error)
            .where(
                OutboxItem.incident_id == incident_id,
                OutboxItem.target == target,
                OutboxItem.id < item_id,
                OutboxItem.delivered_at.is_(None),
                OutboxItem.dead_at.is_(None),
            )
            .order_by(OutboxItem.id)
        ).all()
    return [(str(kind), error) for kind, error in rows]
