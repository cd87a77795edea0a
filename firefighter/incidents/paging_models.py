"""The pages table: one page per incident and service, its state as the vendor reports it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from firefighter.db import Base, UTCDateTime

# What the page is now, as the vendor last told us (or as we asked it, before it answered).
REQUESTED = "requested"
TRIGGERED = "triggered"
ACKNOWLEDGED = "acknowledged"
ESCALATED = "escalated"
RESOLVED = "resolved"
FAILED = "failed"

# What the incident asks of the page: mitigated acknowledges it, closed resolves it.
WANT_TRIGGER = "trigger"
WANT_ACKNOWLEDGE = "acknowledge"
WANT_RESOLVE = "resolve"


class Page(Base):
    """A page of one service's on-call for one incident: exactly one per (incident, service)."""

    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("incident_id", "service", name="uq_pages_incident_service"),
        UniqueConstraint("key", name="uq_pages_key"),
        Index("ix_pages_incident", "incident_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str] = mapped_column(String(16))
    # PagerDuty's dedup_key / Opsgenie's alias: the same for every event of this page.
    key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    want: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str | None] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who the vendor is paging now (a name), as its last event said.
    paged_now: Mapped[str | None] = mapped_column(String(200))
    vendor_url: Mapped[str | None] = mapped_column(String(500))
    # When our own acknowledge / resolve went out: each is sent once.
    ack_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
