"""Reading follow-ups: lists, the card's count, and the stable JSON shape."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firefighter.incidents.followup_models import OPEN, FollowUp


def list_followups(
    session: Session, *, incident_id: int | None = None, open_only: bool = False
) -> list[FollowUp]:
    """Follow-ups, oldest first; of one incident, or only the open ones, if asked."""
    query = select(FollowUp).order_by(FollowUp.id)
    if incident_id is not None:
        query = query.where(FollowUp.incident_id == incident_id)
    if open_only:
        query = query.where(FollowUp.status == OPEN)
    return list(session.scalars(query))


def owned_open(session: Session, user_id: str, limit: int = 20) -> list[FollowUp]:
    """The open follow-ups `user_id` owns, soonest due first (no date last)."""
    query = (
        select(FollowUp)
        .where(FollowUp.owner == user_id, FollowUp.status == OPEN)
        .order_by(FollowUp.due.is_(None), FollowUp.due, FollowUp.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def counts(session: Session, incident_id: int) -> tuple[int, int]:
    """(open, total) follow-ups of an incident, for the card."""
    rows = session.execute(
        select(FollowUp.status, func.count())
        .where(FollowUp.incident_id == incident_id)
        .group_by(FollowUp.status)
    ).all()
    by_status = {status: int(n) for status, n in rows}
    return by_status.get(OPEN, 0), sum(by_status.values())


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


def followup_json(followup: FollowUp) -> dict[str, Any]:
    """The stable fields of `followup list` (DESIGN), plus a few extras."""
    return {
        "id": followup.id,
        "incident_id": followup.incident_id,
        "title": followup.title,
        "owner": followup.owner,
        "due": _iso(followup.due),
        "status": followup.status,
        "jira_key": followup.jira_key,
        "created_at": _iso(followup.created_at),
        "jira_url": followup.jira_url,
        "closed_at": _iso(followup.closed_at),
        "closed_by": followup.closed_by,
    }
