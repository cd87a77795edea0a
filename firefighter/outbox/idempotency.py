"""Remembering that a one-off thing was done, with the processed-requests table."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import transaction, utcnow
from firefighter.outbox.models import ProcessedRequest, ledger_key


def seen(factory: sessionmaker[Session], key: str) -> bool:
    """Whether `key` was remembered before."""
    with factory() as session:
        return session.get(ProcessedRequest, ledger_key(key)) is not None


def remember(factory: sessionmaker[Session], key: str) -> bool:
    """Record `key`; False if it was already there."""
    try:
        with transaction(factory) as session:
            session.add(ProcessedRequest(key=ledger_key(key), created_at=utcnow()))
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class Remembered:
    """An outcome: a handler's one-off step `key` is done (recorded with the delivery)."""

    key: str


def record_remembered(session: Session, done: Remembered) -> None:
    """Write `done` in the dispatcher's transaction (every dispatcher knows this outcome)."""
    if session.get(ProcessedRequest, ledger_key(done.key)) is None:
        session.add(ProcessedRequest(key=ledger_key(done.key), created_at=utcnow()))
