"""What every group of incident commands shares: the transaction, the rules, the access
policy and the authorisation check; `service.IncidentService` is made of those groups."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import utcnow
from firefighter.faults import NO_FAULTS, Faults
from firefighter.incidents import queries
from firefighter.incidents.access import AccessPolicy
from firefighter.incidents.adapter_facts import AdapterFacts
from firefighter.incidents.authorization import Action, authorize
from firefighter.incidents.models import Incident
from firefighter.incidents.rules import (
    Rules,
)
from firefighter.incidents.unit_of_work import Clock, UnitOfWork
from firefighter.settings import Severity


class PagingHooks(Protocol):
    """What paging decides inside the incident's transactions (see incidents.paging)."""

    def on_declared(self, session: Session, incident: Incident, page: bool | None) -> None:
        """A declaration: page if a rule (or the declarer) says so."""

    def on_severity(self, session: Session, incident: Incident, previous: str) -> None:
        """A severity change: page if raised to a paging level."""

    def on_status(self, session: Session, incident: Incident, target: str) -> None:
        """A move: mitigated acknowledges the pages, closed resolves them."""


class ServiceBase:
    """The parts of the incident service every command group uses."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        severities: list[Severity] | None = None,
        clock: Clock = utcnow,
        failure_classes: list[str] | None = None,
        policy: AccessPolicy | None = None,
        components: list[str] | None = None,
        faults: Faults = NO_FAULTS,
        work: UnitOfWork | None = None,
        paging: PagingHooks | None = None,
    ) -> None:
        self.factory = factory
        self.clock = clock
        self.rules = Rules(severities, failure_classes, components)
        self.policy = policy or AccessPolicy()
        # `work` is shared with the other services when the root builds them (see bootstrap).
        self.work = work or UnitOfWork(factory, clock, faults)
        self.facts = AdapterFacts(factory, clock)
        # What paging decides inside the incident's transactions, when paging is configured.
        self.paging = paging

    # ---- rules, as callers have always asked the service ----------------------------

    @property
    def severities(self) -> list[Severity]:
        """The configured severities, most severe first."""
        return self.rules.severities

    @property
    def failure_classes(self) -> list[str]:
        """The configured failure classes."""
        return self.rules.failure_classes

    def severity(self, name: str) -> Severity:
        """The configured severity called `name`, or InvalidInput listing the choices."""
        return self.rules.severity(name)

    def failure_class(self, name: str) -> str:
        """The configured failure class matching `name` (case-insensitive), or InvalidInput."""
        return self.rules.failure_class(name)

    def postmortem_required(self, severity: str) -> bool:
        """Whether an incident of `severity` must go through `postmortem` before `closed`."""
        return self.rules.postmortem_required(severity)

    def next_states(self, incident: Incident) -> list[str]:
        """The states this incident can move to now without extra input."""
        return self.rules.next_states(incident.status, incident.severity)

    def check(
        self, session: Session, incident: Incident, action: Action, actor: str | None, admin: bool
    ) -> None:
        """Ask the authorisation table; `admin` is decided before the transaction opens
        (it may look up user groups)."""
        authorize(
            action,
            actor,
            queries.incident_facts(session, incident),
            admin=admin,
            admins=list(self.policy.admins),
            closers=self.policy.closers,
        )

    def may(self, incident_id: int, action: Action, actor: str | None) -> None:
        """Raise NotFound or Forbidden unless `actor` may do `action` (for surfaces that ask
        before opening a form)."""
        admin = self.policy.is_admin(actor)
        with self.factory() as session:
            incident = queries.get_incident(session, incident_id)
            self.check(session, incident, action, actor, admin)

    def as_drawn(self, incident_id: int, expected_status: str | None) -> Incident:
        """The incident, if it is still in the status a button was drawn for (None: any);
        Conflict saying where it stands otherwise (for surfaces that open a form first)."""
        with self.factory() as session:
            return self.work.load(session, incident_id, None, expected_status)

    def _gate(self, session: Session, incident_id: int, actor: str | None, admin: bool) -> Incident:
        """The incident if `actor` may see it, checked before its version or status is
        compared, so a stale button never reveals the state of a private incident."""
        incident = queries.get_incident(session, incident_id)
        self.check(session, incident, Action.SEE, actor, admin)
        return incident
