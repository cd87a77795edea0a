"""The outbox's tables: effects waiting to be delivered, and identities already handled."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from firefighter.db import Base, UTCDateTime, utcnow

PENDING = "delivered_at IS NULL AND dead_at IS NULL"


class OutboxItem(Base):
    """A side effect to deliver after the transaction that decided it has committed."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "delivered_at", "dead_at", "next_attempt_at"),
        Index("ix_outbox_incident", "incident_id", "id"),
        # Claiming asks, for every candidate, whether an older item of its incident and target
        # is still undelivered: this index holds only those, so the answer costs one probe
        # however many delivered items the outbox keeps.
        Index(
            "ix_outbox_lane_pending",
            "incident_id",
            "target",
            "id",
            sqlite_where=text(PENDING),
            postgresql_where=text(PENDING),
        ),
        # Claiming walks the undelivered items in (priority, id) order and stops at its limit.
        Index(
            "ix_outbox_priority_pending",
            "priority",
            "id",
            sqlite_where=text(PENDING),
            postgresql_where=text(PENDING),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    # The outside system the effect talks to (see outbox.effect_types): order is kept per
    # incident and target, so a failing Jira never holds back the incident's Slack effects.
    target: Mapped[str] = mapped_column(String(32), default="internal", server_default="internal")
    # Priority class (0 people waiting, 1 records, 2 background): claimed lowest first.
    priority: Mapped[int] = mapped_column(SmallInteger, default=1, server_default=text("1"))
    # False for effects whose order does not matter: they neither wait nor hold others back.
    ordered: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A worker leases an item while it delivers it, outside any transaction; a worker that
    # dies simply lets the lease expire and another one takes over.
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


KEY_MAX = 200


def ledger_key(key: str) -> str:
    """`key` as the ledger stores it: whole when it fits, else its start and its SHA-256, so
    two long keys that share their first 200 characters are never taken for one another."""
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key[: KEY_MAX - len(digest) - 1]}#{digest}"


class ProcessedRequest(Base):
    """A one-off thing already done, by its key (see `ledger_key`): a Slack request handled
    (a redelivery changes nothing), a message posted, a notice sent."""

    __tablename__ = "processed_requests"

    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
