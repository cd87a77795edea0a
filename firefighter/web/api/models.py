"""The API's tables: tokens (stored hashed) and the declare requests' idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from firefighter.db import Base, UTCDateTime


class ApiToken(Base):
    """An API token: its name (the actor its actions are recorded under) and its hash.

    Only the SHA-256 of the token is kept. A token is 32 random bytes, so a fast hash is
    enough: nobody can guess a preimage of 256 random bits, and salting or stretching
    (bcrypt, argon2) protects low-entropy passwords, which these are not; a fast hash also
    lets each request find its token by an indexed lookup.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ApiIdempotencyKey(Base):
    """An `Idempotency-Key` a caller declared with: the same key again is the same incident."""

    __tablename__ = "api_idempotency_keys"

    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
