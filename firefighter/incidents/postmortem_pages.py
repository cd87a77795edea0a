"""Recording a published post-mortem page: by the CLI's export, or as an outbox outcome."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from firefighter.incidents import effects
from firefighter.incidents.models import Incident
from firefighter.incidents.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PostmortemPublished:
    """The incident's post-mortem page is at `url` (`warning`: what it went out without)."""

    incident_id: int
    page_id: str
    url: str
    actor: str | None = None
    warning: str | None = None


def record_page(work: UnitOfWork, session: Session, page: PostmortemPublished) -> Incident:
    """Store the page on the incident, note it in the timeline, link it back in the channel."""
    incident = work.load(session, page.incident_id, None)
    first = incident.postmortem_page_id is None
    incident.postmortem_page_id = page.page_id
    incident.postmortem_url = page.url
    verb = "published" if first else "updated"
    # Not posted as an event: POSTMORTEM_PUBLISHED links it back in the channel.
    work.record(
        session,
        incident,
        "postmortem_published",
        page.actor,
        f"Post-mortem {verb}: {page.url}",
        {"page_id": page.page_id, "url": page.url, "first": first, "warning": page.warning},
        announce=False,
        redraw="postmortem",
    )
    work.enqueue(session, effects.PostmortemPublished(incident.id, page.url, first), incident)
    return incident
