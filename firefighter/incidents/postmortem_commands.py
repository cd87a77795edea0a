"""Commands about an incident's post-mortem: recording where it was written, moving a
mitigated incident to `postmortem`, asking for it to be written again."""

from __future__ import annotations

from firefighter.incidents import effects, rules
from firefighter.incidents.authorization import Action
from firefighter.incidents.errors import AlreadyProcessed
from firefighter.incidents.models import Incident
from firefighter.incidents.postmortem_pages import PostmortemPublished, record_page
from firefighter.incidents.service_base import ServiceBase


class PostmortemCommands(ServiceBase):
    """Post-mortem commands, each one transaction."""

    def record_postmortem(
        self,
        incident_id: int,
        *,
        page_id: str,
        url: str,
        actor: str | None = None,
        key: str | None = None,
        warning: str | None = None,
    ) -> Incident:
        """Store the published post-mortem and note it in the timeline.

        `key` names the export: a redelivered export records (and links back) only once.
        `warning` says what the page went out without (kept on the timeline event).
        """
        try:
            return self._record_postmortem(incident_id, page_id, url, actor, key, warning)
        except AlreadyProcessed:
            pass
        with self.factory() as session:
            return self.work.load(session, incident_id, None)

    def _record_postmortem(
        self,
        incident_id: int,
        page_id: str,
        url: str,
        actor: str | None,
        key: str | None,
        warning: str | None,
    ) -> Incident:
        with self.work.begin(f"postmortem-recorded:{key}" if key else None) as session:
            published = PostmortemPublished(incident_id, page_id, url, actor, warning)
            return record_page(self.work, session, published)

    def request_postmortem(self, incident_id: int, *, actor: str | None) -> int:
        """Enqueue a post-mortem export; returns the outbox item id to wait for."""
        admin = self.policy.is_admin(actor)
        with self.work.begin() as session:
            incident = self.work.load(session, incident_id, None)
            self.check(session, incident, Action.EXPORT, actor, admin)
            rules.check_exportable(incident.reference, incident.status)
            export = effects.ExportPostmortem(incident.id, requested_by=actor)
            item = self.work.enqueue(session, export, incident)
            session.flush()
            return item.id
