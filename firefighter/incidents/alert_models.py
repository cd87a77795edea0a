"""The alerts' tables: each alert once per source and fingerprint, and the groups they arrive in.

A group is what a responder triages: an Alertmanager or Grafana notification group, or a
single alert for the sources that send one at a time. Its triage card, its decision
(declared, attached, dismissed, ignored) and its link to an incident live on the group.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from firefighter.db import Base, UTCDateTime

FIRING = "firing"
RESOLVED = "resolved"

TRIAGE = "triage"
DECLARED = "declared"
ATTACHED = "attached"
DISMISSED = "dismissed"
IGNORED = "ignored"
GROUP_STATES = (TRIAGE, DECLARED, ATTACHED, DISMISSED, IGNORED)

SOURCES = ("alertmanager", "grafana", "datadog", "pagerduty", "generic")
TITLE_MAX = 200
LINK_MAX = 1000


class AlertGroup(Base):
    """Alerts triaged together, with their card in the alerts channel."""

    __tablename__ = "alert_groups"
    __table_args__ = (
        UniqueConstraint("source", "group_key", name="uq_alert_groups_key"),
        Index("ix_alert_groups_incident", "incident_id"),
        Index("ix_alert_groups_source_created", "source", "created_at"),
        Index("ix_alert_groups_storm", "storm_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    group_key: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(LINK_MAX))
    state: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    # A dismissed group that fires again gets a new card: the round names which one.
    round: Mapped[int] = mapped_column(Integer, default=1)
    card_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    # Redraws are coalesced: `changes` counts what the card should show, `drawn` what it
    # shows, and `pending` says a draw is already queued.
    changes: Mapped[int] = mapped_column(Integer, default=0)
    drawn: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[bool] = mapped_column(default=False)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the group arrived during a storm: it has no card of its own, it is listed on
    # its source's storm card (and can be declared or attached from there).
    storm_id: Mapped[int | None] = mapped_column(ForeignKey("alert_storms.id", ondelete="SET NULL"))


class AlertStorm(Base):
    """One source's storm card: where new groups go once cards come too fast.

    One row per source, locked by every intake from that source, so that two webhooks
    counting the cards of the last minute agree. A storm that stays quiet for a while ends;
    the next one gets a new card (`round`).
    """

    __tablename__ = "alert_storms"
    __table_args__ = (UniqueConstraint("source", name="uq_alert_storms_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    folded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    card_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    # Coalesced redraws, as on AlertGroup.
    changes: Mapped[int] = mapped_column(Integer, default=0)
    drawn: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[bool] = mapped_column(default=False)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Alert(Base):
    """One alert as its source identifies it; firing again bumps it, never duplicates it."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("source", "fingerprint", name="uq_alerts_fingerprint"),
        Index("ix_alerts_group", "group_id"),
        Index("ix_alerts_incident", "incident_id"),
        Index("ix_alerts_last_seen", "last_seen"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(255))
    group_id: Mapped[int] = mapped_column(ForeignKey("alert_groups.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(LINK_MAX))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    count: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by Dismiss; cleared when the alert resolves, so that firing again is news.
    dismissed: Mapped[bool] = mapped_column(default=False)
