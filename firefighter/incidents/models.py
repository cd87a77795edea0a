"""The core's tables: incidents, their roles, members and timeline, reminders, schedule runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firefighter.db import Base, UTCDateTime, utcnow

TITLE_MAX = 200
UPDATE_MAX = 3000


class Incident(Base):
    """One incident (or drill), with its milestones as columns."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    component: Mapped[str | None] = mapped_column(String(64))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)

    channel_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    channel_name: Mapped[str | None] = mapped_column(String(80))
    announcement_channel: Mapped[str | None] = mapped_column(String(32))
    announcement_ts: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    declarer: Mapped[str | None] = mapped_column(String(32))

    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    closure_reason: Mapped[str | None] = mapped_column(String(32))
    postmortem_page_id: Mapped[str | None] = mapped_column(String(64))
    postmortem_url: Mapped[str | None] = mapped_column(String(500))
    # Where the failure came from (FIREFIGHTER_FAILURE_CLASSES), asked at close or post-mortem.
    failure_class: Mapped[str | None] = mapped_column(String(64))
    # Update reminders stay quiet until then ("Snooze 30 min").
    reminders_snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The metrics select by period on these milestones, list what is still open, and find
    # the post-mortems still to write without reading every incident.
    __table_args__ = (
        Index("ix_incidents_declared_at", "declared_at"),
        Index("ix_incidents_mitigated_at", "mitigated_at"),
        Index("ix_incidents_closed_at", "closed_at"),
        Index("ix_incidents_status_declared_at", "status", "declared_at"),
        Index(
            "ix_incidents_postmortem_pending",
            "severity",
            "mitigated_at",
            sqlite_where=text("postmortem_url IS NULL"),
            postgresql_where=text("postmortem_url IS NULL"),
        ),
    )

    roles: Mapped[list[IncidentRole]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", lazy="selectin"
    )

    # Optimistic locking: every UPDATE says WHERE version = <the version we read>.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def reference(self) -> str:
        """The name people use: INC-12."""
        return f"INC-{self.id}"

    def holder(self, role: str) -> str | None:
        """The user holding `role`, or None."""
        for assignment in self.roles:
            if assignment.role == role:
                return assignment.user_id
        return None


class IncidentRole(Base):
    """Who holds a role now; the history lives in the timeline."""

    __tablename__ = "incident_roles"
    __table_args__ = (UniqueConstraint("incident_id", "role", name="uq_incident_roles_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str | None] = mapped_column(String(32))

    incident: Mapped[Incident] = relationship(back_populates="roles")


class IncidentMember(Base):
    """Someone in the incident: declarer, role holders, invited responders, people who joined.

    Private incidents are shown only to their members.
    """

    __tablename__ = "incident_members"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TimelineEvent(Base):
    """One thing that happened to an incident. Rows are only ever appended."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_events_incident_at", "incident_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Reminder(Base):
    """A nudge that was decided; the unique key makes two workers unable to send it twice."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "slot", name="uq_reminders_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # What makes this nudge distinct from the previous one of the same kind: a due time,
    # a working day, or "once".
    slot: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleRun(Base):
    """One run of a schedule, claimed by the worker whose INSERT won."""

    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("name", "due_at", name="uq_schedule_runs_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
