"""The chaos tables: experiments' results per component, and freezes of experiments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from firefighter.db import Base, UTCDateTime


class ChaosResult(Base):
    """One finished run of a chaos experiment against a component.

    `run_key` names the run as its tool does (a ChaosResult's uid and run count, say), so the
    same result posted twice is recorded once.
    """

    __tablename__ = "chaos_results"
    __table_args__ = (Index("ix_chaos_results_component_at", "component", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_key: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    experiment: Mapped[str] = mapped_column(String(200))
    component: Mapped[str] = mapped_column(String(64))
    weight: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(8))
    probe_success: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A Game Day running with this component when the result came in (its board shows it).
    gameday_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The drill a failed experiment declared, when the settings ask for one.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))


class ChaosFreeze(Base):
    """No experiment may run against `component` (`*`: any) until `until` or until lifted."""

    __tablename__ = "chaos_freezes"
    __table_args__ = (Index("ix_chaos_freezes_open", "component", "lifted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    component: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    set_by: Mapped[str | None] = mapped_column(String(32))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(32))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
