"""Remembering that a one-off thing was done, with the processed-requests table."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import transaction, utcnow
from firefighter.outbox.models import ProcessedRequest


def seen(factory: sessionmaker[Session], key: str) -> bool:
    """Whether `key` was remembered before."""
    with factory() as session:
        return session.get(ProcessedRequest, key[:200]) is not None


def remember(factory: sessionmaker[Session], key: str) -> bool:
    """Record `key`; False if it was already there."""
    try:
        with transaction(factory) as session:
            session.add(ProcessedRequest(key=key[:200], created_at=utcnow()))
    except IntegrityError:
        return False
    return True
