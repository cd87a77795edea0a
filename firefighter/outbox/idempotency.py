"""Remembering that a one-off thing was done, with the processed-requests table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import transaction, utcnow
from firefighter.outbox.models import ProcessedRequest, ledger_key


def seen(factory: sessionmaker[Session], key: str) -> bool:
    """Whether `key` was remembered before."""
    with factory() as session:
        return session.get(ProcessedRequest, ledger_key(key)) is not None


def remembered_at(factory: sessionmaker[Session], key: str) -> datetime | None:
    """When `key` was remembered (wall-clock time), or None."""
    with factory() as session:
        row = session.get(ProcessedRequest, ledger_key(key))
        return row.created_at if row is not None else None


def remember(factory: sessionmaker[Session], key: str) -> bool:
    """Record `key` (at wall-clock time); False if it was already there."""
    try:
        with transaction(factory) as session:
            session.add(ProcessedRequest(key=ledger_key(key), created_at=utcnow()))
    except IntegrityError:
        return False
    return True


def forget(factory: sessionmaker[Session], key: str) -> None:
    """Remove `key`, if it is there."""
    with transaction(factory) as session:
        session.execute(delete(ProcessedRequest).where(ProcessedRequest.key == ledger_key(key)))


def replace(factory: sessionmaker[Session], old: str, new: str) -> bool:
    """In one transaction, forget `old` and remember `new`; False if `new` was already there."""
    try:
        with transaction(factory) as session:
            session.execute(delete(ProcessedRequest).where(ProcessedRequest.key == ledger_key(old)))
            session.add(ProcessedRequest(key=ledger_key(new), created_at=utcnow()))
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
