"""The conversation's tables: people's names as Slack last told us, and pinned messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from firefighter.db import Base, UTCDateTime


class Person(Base):
    """A Slack user's name, cached so that pages name people without asking Slack each time.

    Rows are refreshed at most daily; a user deleted in Slack keeps the last name we saw.
    """

    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    real_name: Mapped[str] = mapped_column(String(200), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PinnedMessage(Base):
    """A Slack message added to an incident's timeline; the unique key makes it once only."""

    __tablename__ = "pinned_messages"
    __table_args__ = (
        UniqueConstraint("incident_id", "channel_id", "message_ts", name="uq_pinned_messages"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[int] = mapped_column(ForeignKey("timeline_events.id", ondelete="CASCADE"))
    pinned_by: Mapped[str | None] = mapped_column(String(32))
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime)
