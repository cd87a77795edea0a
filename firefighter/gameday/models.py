"""The Game Day tables: loaded scenario files and the steps a running one takes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from firefighter.db import Base, UTCDateTime

# A Game Day's statuses, and the kinds of step a running one takes.
LOADED, RUNNING, ENDED = "loaded", "running", "ended"
THEME, INJECT, HINT, END = "theme", "inject", "hint", "end"


class GameDay(Base):
    """A Game Day: a validated scenario file, loaded once and then run (at most once)."""

    __tablename__ = "gamedays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    # The validated file as JSON; the Game Day package owns its shape.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), index=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    loaded_by: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    board_ts: Mapped[str | None] = mapped_column(String(32))
    # What the drills looked like when the board was last queued for a redraw, and when:
    # the redraw is throttled, and a change is never lost because the mark differs.
    board_mark: Mapped[str | None] = mapped_column(String(64))
    board_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_page_id: Mapped[str | None] = mapped_column(String(64))
    report_url: Mapped[str | None] = mapped_column(String(500))


class GameDayStep(Base):
    """Something a running Game Day does at a set time: post a theme, inject, hint, end.

    A step is claimed by the UPDATE that sets `done_at` in the transaction doing its work,
    so with several workers each step happens exactly once.
    """

    __tablename__ = "gameday_steps"
    __table_args__ = (
        UniqueConstraint("gameday_id", "key", name="uq_gameday_steps_key"),
        Index("ix_gameday_steps_due", "done_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gameday_id: Mapped[int] = mapped_column(ForeignKey("gamedays.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    scenario: Mapped[int | None] = mapped_column(Integer)
    team: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str | None] = mapped_column(String(200))
