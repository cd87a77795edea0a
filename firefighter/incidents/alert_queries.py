"""Reading alerts: a group's alerts, the counts linked to an incident, the list and its
stable JSON fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents.alert_models import FIRING, RESOLVED, Alert


def alerts_of(session: Session, group_id: int) -> list[Alert]:
    """The group's alerts, oldest first."""
    return list(session.scalars(select(Alert).where(Alert.group_id == group_id).order_by(Alert.id)))


def linked_counts_in(session: Session, incident_id: int) -> tuple[int, int]:
    """(firing, resolved) alerts linked to the incident."""
    firing, resolved = session.execute(
        select(
            func.count().filter(Alert.status == FIRING),
            func.count().filter(Alert.status == RESOLVED),
        ).where(Alert.incident_id == incident_id)
    ).one()
    return int(firing or 0), int(resolved or 0)


def linked_counts(factory: sessionmaker[Session], incident_id: int) -> tuple[int, int]:
    """(firing, resolved) alerts linked to the incident, for its card."""
    with factory() as session:
        return linked_counts_in(session, incident_id)


def list_alerts(session: Session, *, limit: int = 500) -> list[Alert]:
    """The alerts seen most recently first."""
    return list(session.scalars(select(Alert).order_by(Alert.last_seen.desc()).limit(limit)))


def alert_json(alert: Alert) -> dict[str, Any]:
    """The stable fields of `alerts list` (DESIGN.md)."""
    return {
        "id": alert.id,
        "source": alert.source,
        "fingerprint": alert.fingerprint,
        "status": alert.status,
        "title": alert.title,
        "incident_id": alert.incident_id,
        "count": alert.count,
        "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(),
    }
