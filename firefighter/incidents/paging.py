"""Paging the people on call: which services to page, when, and what the vendors said.

The incident service calls the hooks inside its own transactions (a declaration, a severity
raised, a move to mitigated or closed), so a page is decided with the change that causes it
and goes out through the outbox afterwards. Vendor events (acknowledged, escalated,
resolved) come back through `vendor_event` and enter the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents import lifecycle
from firefighter.incidents import paging_effects as effects
from firefighter.incidents.access import Forbidden
from firefighter.incidents.errors import Conflict, InvalidInput
from firefighter.incidents.models import Incident, IncidentMember
from firefighter.incidents.paging_models import (
    ACKNOWLEDGED,
    ESCALATED,
    FAILED,
    REQUESTED,
    RESOLVED,
    TRIGGERED,
    WANT_ACKNOWLEDGE,
    WANT_RESOLVE,
    WANT_TRIGGER,
    Page,
)
from firefighter.incidents.paging_plan import AUTOMATIC, NEVER, PageView, PagingPlan, may_page
from firefighter.incidents.paging_queries import pages_of, view
from firefighter.incidents.unit_of_work import UnitOfWork
from firefighter.outbox import enqueue

if TYPE_CHECKING:
    from firefighter.incidents.read import IncidentView

VENDOR_NAMES = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie"}


def page_key(incident: Incident, service: str) -> str:
    """The dedup_key / alias of a page: the incident, its declaration time and the service.

    The declaration time keeps a fresh database's INC-1 from reusing an old INC-1's alert.
    """
    stamp = int(incident.declared_at.timestamp())
    return f"firefighter-{incident.id}-{stamp}-{service.lower().replace(' ', '-')}"[:255]


class PagingService:
    """Pages decided in the incident service's transactions; vendor events recorded."""

    def __init__(
        self, work: UnitOfWork, plan: PagingPlan, *, is_admin: Callable[[str], bool]
    ) -> None:
        self.work = work
        self.plan = plan
        self.is_admin = is_admin

    @property
    def clock(self) -> Callable[[], datetime]:
        """The incidents' clock."""
        return self.work.clock

    @property
    def factory(self) -> sessionmaker[Session]:
        """The incidents' sessions."""
        return self.work.factory

    # ---- hooks: called inside the incident service's transactions --------------------

    def on_declared(self, session: Session, incident: Incident, page: bool | None) -> None:
        """Page the component's service if a rule (or the declare modal's box) says so."""
        if incident.drill or not self.plan.enabled:
            return
        wanted = page if page is not None else self.automatic(incident.severity, incident.component)
        service = self.plan.service_for(incident.component)
        if wanted and service:
            self._page(session, incident, service, None)

    def on_severity(self, session: Session, incident: Incident, previous: str) -> None:
        """A severity raised to a paging level pages then (once: a page is never repeated)."""
        if incident.drill or not self.plan.enabled:
            return
        was = self.automatic(previous, incident.component)
        if self.automatic(incident.severity, incident.component) and not was:
            service = self.plan.service_for(incident.component)
            if service and self._find(session, incident.id, service) is None:
                self._page(session, incident, service, None)

    def on_status(self, session: Session, incident: Incident, target: str) -> None:
        """Mitigated acknowledges the incident's pages; closed resolves them."""
        want = {lifecycle.MITIGATED: WANT_ACKNOWLEDGE, lifecycle.CLOSED: WANT_RESOLVE}.get(target)
        if want is None:
            return
        action = effects.ACKNOWLEDGE if want == WANT_ACKNOWLEDGE else effects.RESOLVE
        for page in session.scalars(select(Page).where(Page.incident_id == incident.id)):
            if page.status in (RESOLVED, FAILED) or page.want == WANT_RESOLVE:
                continue
            if want == WANT_ACKNOWLEDGE and page.want == WANT_ACKNOWLEDGE:
                continue
            page.want = want
            self._enqueue(session, action, page)

    # ---- decisions ------------------------------------------------------------------

    def automatic(self, severity: str, component: str | None) -> bool:
        """Whether an incident of `severity` on `component` is paged without asking."""
        return self.plan.enabled and self.plan.mode(severity, component) == AUTOMATIC

    def offered(self, incident: Incident | IncidentView) -> str | None:
        """The service a Page on-call button would page now, or None (no button)."""
        if incident.drill or not self.plan.enabled or incident.status == lifecycle.CLOSED:
            return None
        if self.plan.mode(incident.severity, incident.component) == NEVER:
            return None
        service = self.plan.service_for(incident.component)
        if service is None:
            return None
        with self.factory() as session:
            return service if self._find(session, incident.id, service) is None else None

    # ---- commands -------------------------------------------------------------------

    def page(self, incident_id: int, service: str | None, *, actor: str | None) -> PageView:
        """Page `service` (the component's by default) for the incident, once."""
        if not self.plan.enabled:
            raise InvalidInput(
                "Paging is not set up: an operator names the services in FIREFIGHTER_PAGING."
            )
        admin = bool(actor) and self.is_admin(str(actor))
        try:
            return self._page_now(incident_id, service, actor, admin)
        except IntegrityError:  # two people paged the same service at the same moment
            raise InvalidInput(
                f"{service or 'That service'} was just paged for INC-{incident_id}; "
                "the card shows who is paged now."
            ) from None

    def _page_now(
        self, incident_id: int, service: str | None, actor: str | None, admin: bool
    ) -> PageView:
        with self.work.begin() as session:
            incident = self.work.load(session, incident_id, None)
            if incident.status == lifecycle.CLOSED:
                raise InvalidInput(f"{incident.reference} is closed; nobody needs paging for it.")
            if incident.drill:
                raise InvalidInput("Drills page nobody: the on-call is not part of the game.")
            name = self._service_named(service, incident)
            members = set(
                session.scalars(
                    select(IncidentMember.user_id).where(IncidentMember.incident_id == incident.id)
                )
            )
            holders = {role.user_id for role in incident.roles}
            if not may_page(
                actor, who=self.plan.who_may_page, members=members, holders=holders, admin=admin
            ):
                who = (
                    "its role holders" if self.plan.who_may_page == "responders" else "its members"
                )
                raise Forbidden(f"Only {who} may page for {incident.reference}.")
            existing = self._find(session, incident.id, name)
            if existing is not None:
                raise InvalidInput(
                    f"{name} is already paged for {incident.reference} ({existing.status}); "
                    "the card shows who is paged now."
                )
            page = self._page(session, incident, name, actor)
            session.flush()
            return view(page)

    def _service_named(self, service: str | None, incident: Incident) -> str:
        if service:
            found = self.plan.find(service)
            if found is None:
                names = ", ".join(sorted(self.plan.services))
                raise InvalidInput(
                    f"There is no service {service!r} to page; choose one of {names}."
                )
            return found
        found = self.plan.service_for(incident.component)
        if found is None:
            names = ", ".join(sorted(self.plan.services))
            raise InvalidInput(f"Say which service to page: `page SERVICE` ({names}).")
        return found

    def _find(self, session: Session, incident_id: int, service: str) -> Page | None:
        return session.scalar(
            select(Page).where(Page.incident_id == incident_id, Page.service == service)
        )

    def _page(self, session: Session, incident: Incident, service: str, actor: str | None) -> Page:
        now = self.clock()
        vendor = self.plan.services[service]
        page = Page(
            incident_id=incident.id,
            service=service,
            vendor=vendor,
            key=page_key(incident, service),
            status=REQUESTED,
            want=WANT_TRIGGER,
            requested_by=actor,
            requested_at=now,
        )
        session.add(page)
        session.flush()
        how = "" if actor else " (paging rule)"
        self.work.record(
            session,
            incident,
            "page_requested",
            actor,
            f"Paging the {service} on-call through {VENDOR_NAMES.get(vendor, vendor)}{how}",
            {"service": service, "vendor": vendor, "page_id": page.id},
            touch=False,
            # At declaration the channel does not exist yet: the card, drawn when it is
            # opened, shows the page.
            announce=incident.channel_id is not None,
            redraw="paging" if incident.channel_id else None,
        )
        self._enqueue(session, effects.TRIGGER, page)
        return page

    def _enqueue(self, session: Session, action: str, page: Page) -> None:
        effect = effects.vendor_effect(page.vendor, action, page.incident_id, page.id)
        # No incident_id on the outbox row: the page row orders a page's effects, and one
        # service's page never waits behind another's (see paging_effects).
        enqueue(session, effect, incident_id=None, now=self.clock())

    # ---- what the vendor side reports ----------------------------------------------

    def get(self, page_id: int) -> PageView:
        """One page."""
        with self.factory() as session:
            page = session.get(Page, page_id)
            if page is None:
                raise InvalidInput(f"There is no page {page_id}.")
            return view(page)

    def pages(self, incident_id: int) -> list[PageView]:
        """The incident's pages, oldest first."""
        with self.factory() as session:
            return pages_of(session, incident_id)

    def record_sent(
        self, session: Session, page_id: int, action: str, *, vendor_url: str | None = None
    ) -> None:
        """The vendor accepted our trigger, acknowledge or resolve (in the dispatcher's
        transaction, marking the effect delivered: see incidents/outcomes)."""
        page = session.get(Page, page_id)
        if page is None:
            raise InvalidInput(f"There is no page {page_id}.")
        now = self.clock()
        if vendor_url:
            page.vendor_url = vendor_url
        if action == WANT_TRIGGER and page.status == REQUESTED:
            page.triggered_at = page.triggered_at or now
            page.status = TRIGGERED
            incident = self.work.load(session, page.incident_id, None)
            if incident.channel_id:
                self.work.redraw(session, incident, "paging")
        elif action == WANT_ACKNOWLEDGE and page.ack_sent_at is None:
            page.ack_sent_at = now
        elif action == WANT_RESOLVE and page.resolve_sent_at is None:
            page.resolve_sent_at = now
        page.last_error = None

    def cancel(self, session: Session, page_id: int) -> None:
        """Closed before the page reached the vendor: it is not sent at all."""
        page = session.get(Page, page_id)
        if page is None or page.triggered_at is not None or page.status != REQUESTED:
            return
        page.status, page.resolved_at = RESOLVED, self.clock()
        page.last_error = "the incident closed before the vendor could be reached"
        incident = self.work.load(session, page.incident_id, None)
        if incident.channel_id:
            self.work.redraw(session, incident, "paging")

    def record_failure(self, session: Session, page_id: int, reason: str) -> None:
        """The vendor refused the page for good (a bad key): the card says so."""
        page = session.get(Page, page_id)
        if page is None or page.status == FAILED:
            return
        page.status = FAILED
        page.last_error = reason[:2000]
        incident = self.work.load(session, page.incident_id, None)
        if incident.channel_id:
            self.work.redraw(session, incident, "paging")

    def vendor_event(
        self,
        key: str,
        status: str,
        *,
        at: datetime | None = None,
        who: str | None = None,
        email: str | None = None,
        paged_now: str | None = None,
        vendor_url: str | None = None,
    ) -> bool:
        """A vendor said a page was acknowledged, escalated or resolved; False if not ours.

        Each change enters the timeline once; the acknowledger is invited by e-mail.
        """
        with self.factory() as session:
            known = session.scalar(select(Page.id).where(Page.key == key))
        if known is None:
            return False
        # The same event twice at once: the first one recorded it.
        with suppress(IntegrityError, Conflict):
            self._vendor_event(key, status, at, who, email, paged_now, vendor_url)
        return True

    def _vendor_event(
        self,
        key: str,
        status: str,
        at: datetime | None,
        who: str | None,
        email: str | None,
        paged_now: str | None,
        vendor_url: str | None,
    ) -> None:
        with self.work.begin() as session:
            page = session.scalar(select(Page).where(Page.key == key))
            assert page is not None
            incident = self.work.load(session, page.incident_id, None)
            when = at or self.clock()
            before = (page.status, page.paged_now, page.vendor_url)
            if vendor_url:
                page.vendor_url = vendor_url
            if paged_now:
                page.paged_now = paged_now[:200]
            if page.triggered_at is None:
                page.triggered_at = when
            if page.status == REQUESTED:
                page.status = TRIGGERED
            changed = self._apply(page, status, when, who)
            if not changed:
                shown = (page.status, page.paged_now, page.vendor_url) != before
                if shown and incident.channel_id:
                    self.work.redraw(session, incident, "paging")
                return
            vendor = VENDOR_NAMES.get(page.vendor, page.vendor)
            by = f" by {who}" if who else ""
            text = {
                ACKNOWLEDGED: f"{page.service} page acknowledged{by} in {vendor}",
                ESCALATED: f"{page.service} page escalated in {vendor}"
                + (f": now paging {paged_now}" if paged_now else ""),
                RESOLVED: f"{page.service} page resolved{by} in {vendor}",
            }[status]
            self.work.record(
                session,
                incident,
                f"page_{status}",
                None,
                text,
                {"service": page.service, "vendor": page.vendor, "who": who, "page_id": page.id},
                touch=False,
                announce=incident.channel_id is not None,
                redraw="paging" if incident.channel_id else None,
            )
            if status == ACKNOWLEDGED and email:
                invite = effects.PageInvite(incident.id, email)
                self.work.enqueue(session, invite, incident)

    @staticmethod
    def _apply(page: Page, status: str, when: datetime, who: str | None) -> bool:
        if status == ACKNOWLEDGED:
            if page.status in (ACKNOWLEDGED, RESOLVED):
                return False
            page.status, page.acknowledged_at, page.acknowledged_by = ACKNOWLEDGED, when, who
            return True
        if status == ESCALATED:
            if page.status == RESOLVED:
                return False
            page.status, page.escalated_at = ESCALATED, when
            return True
        if status == RESOLVED:
            if page.status == RESOLVED:
                return False
            page.status, page.resolved_at = RESOLVED, when
            return True
        return False
