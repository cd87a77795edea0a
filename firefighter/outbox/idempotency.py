"""Remembering that a one-off thing was done, with the processed-requests table."""

from __future__ import annotations

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
