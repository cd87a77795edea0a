"""The read side of paging: pages as frozen plain data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from firefighter.incidents.paging_models import Page
from firefighter.incidents.paging_plan import PageView


def view(page: Page) -> PageView:
    """A page as plain data."""
    return PageView(
        id=page.id,
        incident_id=page.incident_id,
        service=page.service,
        vendor=page.vendor,
        key=page.key,
        status=page.status,
        requested_by=page.requested_by,
        requested_at=page.requested_at,
        triggered_at=page.triggered_at,
        acknowledged_at=page.acknowledged_at,
        acknowledged_by=page.acknowledged_by,
        escalated_at=page.escalated_at,
        resolved_at=page.resolved_at,
        paged_now=page.paged_now,
        vendor_url=page.vendor_url,
        want=page.want,
        ack_sent_at=page.ack_sent_at,
        resolve_sent_at=page.resolve_sent_at,
        last_error=page.last_error,
    )


def pages_of(session: Session, incident_id: int) -> list[PageView]:
    """The incident's pages, oldest first."""
    rows = session.scalars(select(Page).where(Page.incident_id == incident_id).order_by(Page.id))
    return [view(p) for p in rows]
