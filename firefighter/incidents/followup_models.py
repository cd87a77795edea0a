"""The follow-ups table: what an incident taught, who does it, by when, and its Jira issue."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from firefighter.db import Base, UTCDateTime

FOLLOWUP_TITLE_MAX = 250
OPEN = "open"
DONE = "done"


class FollowUp(Base):
    """One follow-up of an incident; closed and reopened in place, history on the timeline."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(FOLLOWUP_TITLE_MAX))
    owner: Mapped[str | None] = mapped_column(String(32))
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Snooze a week": no reminder before this day.
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    jira_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    jira_url: Mapped[str | None] = mapped_column(String(500))

    # The card counts an incident's follow-ups; the reminder pass reads the open ones by due
    # date; the digest selects by creation and closing time in a period.
    __table_args__ = (
        Index("ix_followups_incident", "incident_id"),
        Index("ix_followups_created_at", "created_at"),
        Index("ix_followups_closed_at", "closed_at"),
        Index(
            "ix_followups_open_due",
            "due",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    @property
    def is_open(self) -> bool:
        """Whether it is still to do."""
        return self.status == OPEN
