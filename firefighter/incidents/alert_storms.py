"""Alert storms: past a number of new triage cards a minute from one source, further new
groups fold into one storm card per source instead of a card each.

Every alert is still stored, de-duplicated and listed; a folded group is declared or
attached from the storm card (or `firefighter alerts declare|attach`). Alertmanager groups
already arrive grouped by the sender's own rules: they keep their cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents.alert_models import (
    FIRING,
    RESOLVED,
    TRIAGE,
    Alert,
    AlertGroup,
    AlertStorm,
)
from firefighter.incidents.errors import NotFound
from firefighter.incidents.models import Incident

UNFOLDED_SOURCES = frozenset({"alertmanager"})
WINDOW = timedelta(minutes=1)
QUIET = timedelta(minutes=10)
"""A storm with no new group folded for this long is over; the next one gets a new card."""
PICKABLE = 100
"""Groups offered on the storm card's menus (Slack's limit for a select's options)."""
TOP = 5


@dataclass(frozen=True)
class FoldedGroup:
    """One group of a storm as its card lists it."""

    group_id: int
    round: int
    title: str
    state: str
    firing: int
    count: int
    incident_reference: str | None


@dataclass(frozen=True)
class StormState:
    """A storm card as it should look now."""

    storm_id: int
    source: str
    round: int
    card_channel: str | None
    card_ts: str | None
    changes: int
    started_at: datetime
    last_folded: datetime
    groups: int
    alerts: int
    firing: int
    resolved: int
    awaiting: int
    top: list[FoldedGroup]
    pickable: list[FoldedGroup]
    limit: int


def lock_storm(session: Session, source: str) -> AlertStorm | None:
    """The source's storm row, locked for this transaction (created on first use)."""
    if source in UNFOLDED_SOURCES:
        return None
    storm = session.scalars(
        select(AlertStorm).where(AlertStorm.source == source).with_for_update()
    ).one_or_none()
    if storm is None:
        storm = AlertStorm(source=source, round=0, changes=0, drawn=0, pending=False)
        session.add(storm)
        session.flush()  # a racing first intake fails here and runs again (see ingest)
    return storm


def should_fold(session: Session, storm: AlertStorm, now: datetime, limit: int) -> bool:
    """Whether a new triage group from the storm's source goes on the storm card: it does
    while `limit` or more new triage groups (carded or folded) arrived in the last minute."""
    recent = session.scalar(
        select(func.count()).where(
            AlertGroup.source == storm.source,
            AlertGroup.created_at >= now - WINDOW,
            or_(AlertGroup.changes > 0, AlertGroup.storm_id.is_not(None)),
        )
    )
    return int(recent or 0) >= limit


def fold(storm: AlertStorm, group: AlertGroup, now: datetime) -> None:
    """Put `group` on the storm card (a new card when the last storm is over)."""
    if storm.folded_at is None or now - storm.folded_at >= QUIET:
        storm.round += 1
        storm.started_at = now
        storm.card_channel = storm.card_ts = None
    storm.folded_at = now
    group.storm_id = storm.id


def storm_state(factory: sessionmaker[Session], storm_id: int, limit: int) -> StormState:
    """The storm card's content, read in one go; NotFound if the storm vanished."""
    with factory() as session:
        storm = session.get(AlertStorm, storm_id)
        if storm is None or storm.started_at is None:
            raise NotFound("That alert storm no longer exists.")
        firing = func.count().filter(Alert.status == FIRING)
        rows = session.execute(
            select(
                AlertGroup.id,
                AlertGroup.round,
                AlertGroup.title,
                AlertGroup.state,
                Incident.id.label("incident_id"),
                firing.label("firing"),
                func.count().filter(Alert.status == RESOLVED).label("resolved"),
                func.coalesce(func.sum(Alert.count), 0).label("total"),
            )
            .join(Alert, Alert.group_id == AlertGroup.id)
            .outerjoin(Incident, Incident.id == AlertGroup.incident_id)
            .where(AlertGroup.storm_id == storm.id, AlertGroup.created_at >= storm.started_at)
            .group_by(AlertGroup.id, Incident.id)
            .order_by(case((AlertGroup.state == TRIAGE, 0), else_=1), firing.desc(), AlertGroup.id)
        ).all()
        groups = [
            FoldedGroup(
                group_id=r.id,
                round=r.round,
                title=r.title,
                state=r.state,
                firing=int(r.firing or 0),
                count=int(r.total or 0),
                incident_reference=f"INC-{r.incident_id}" if r.incident_id else None,
            )
            for r in rows
        ]
        return StormState(
            storm_id=storm.id,
            source=storm.source,
            round=storm.round,
            card_channel=storm.card_channel,
            card_ts=storm.card_ts,
            changes=storm.changes,
            started_at=storm.started_at,
            last_folded=storm.folded_at or storm.started_at,
            groups=len(groups),
            alerts=int(sum(r.firing + r.resolved for r in rows)),
            firing=sum(g.firing for g in groups),
            resolved=int(sum(r.resolved for r in rows)),
            awaiting=sum(1 for g in groups if g.state == TRIAGE),
            top=groups[:TOP],
            pickable=[g for g in groups if g.state == TRIAGE][:PICKABLE],
            limit=limit,
        )
