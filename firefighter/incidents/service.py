"""The service layer: the only code that changes incidents.

Every command is one transaction that checks the lifecycle, bumps the incident's version,
appends timeline events and enqueues the side effects. Nothing here talks to Slack.

The rules it checks live in `rules`, the transaction and what a change records in
`unit_of_work`, and what adapters remember (no user change) in `adapter_facts`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import utcnow
from firefighter.faults import NO_FAULTS, Faults
from firefighter.incidents import effects, lifecycle, queries, rules
from firefighter.incidents.access import AccessPolicy
from firefighter.incidents.adapter_facts import AdapterFacts
from firefighter.incidents.authorization import Action, authorize
from firefighter.incidents.errors import AlreadyProcessed, InvalidInput
from firefighter.incidents.lifecycle import CLOSED, MITIGATED
from firefighter.incidents.models import Incident, IncidentMember, IncidentRole
from firefighter.incidents.postmortem_pages import PostmortemPublished, record_page
from firefighter.incidents.rules import (
    CLOSURE_REASONS,
    MILESTONES,
    ROLE_ALIASES,
    ROLES,
    Rules,
    clean,
    normalise_role,
)
from firefighter.incidents.unit_of_work import Clock, UnitOfWork, write_unversioned
from firefighter.incidents.wording import Person, event_record
from firefighter.outbox import enqueue
from firefighter.settings import Severity

__all__ = [
    "CLOSURE_REASONS",
    "MILESTONES",
    "ROLES",
    "ROLE_ALIASES",
    "Clock",
    "IncidentService",
    "clean",
    "normalise_role",
]


class PagingHooks(Protocol):
    """What paging decides inside the incident's transactions (see incidents.paging)."""

    def on_declared(self, session: Session, incident: Incident, page: bool | None) -> None:
        """A declaration: page if a rule (or the declarer) says so."""

    def on_severity(self, session: Session, incident: Incident, previous: str) -> None:
        """A severity change: page if raised to a paging level."""

    def on_status(self, session: Session, incident: Incident, target: str) -> None:
        """A move: mitigated acknowledges the pages, closed resolves them."""


def role_action(role: str, previous: str | None, user_id: str, actor: str | None) -> Action:
    """Which row of the table a role change is: taking a free role for oneself, taking command
    from someone else, or assigning a role."""
    if role == "commander" and previous is not None and previous != actor:
        return Action.TAKE_OVER_COMMAND
    if previous is None and user_id == actor:
        return Action.TAKE_FREE_ROLE
    return Action.ASSIGN_ROLE


class IncidentService:
    """Commands on incidents, each one transaction."""

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
    ) -> None:
        self.factory = factory
        self.clock = clock
        self.rules = Rules(severities, failure_classes, components)
        self.policy = policy or AccessPolicy()
        self.work = UnitOfWork(factory, clock, faults)
        self.facts = AdapterFacts(factory, clock)
        # Set by PagingService when paging is configured.
        self.paging: PagingHooks | None = None

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

    # ---- commands ------------------------------------------------------------------

    def declare(
        self,
        *,
        title: str,
        severity: str,
        actor: str | None,
        description: str = "",
        component: str | None = None,
        private: bool = False,
        drill: bool = False,
        started_at: datetime | None = None,
        detected_at: datetime | None = None,
        request_key: str | None = None,
        link: Callable[[Session, Incident], None] | None = None,
        within: Session | None = None,
        page: bool | None = None,
    ) -> Incident:
        """Open a new incident; the declarer becomes its commander.

        `link(session, incident)` runs in the same transaction (a Game Day records its drill).
        `page` pages the component's on-call (True), or not (False), or as the paging rules
        say (None).
        """
        title = rules.title(title)
        description = rules.description(description)
        component = self.rules.component(component)
        sev = self.rules.severity(severity)
        self.policy.check_declare(actor)
        now = self.clock()
        started, detected = rules.impact_times(started_at, detected_at, now)
        with self.work.join(within, request_key) as session:
            incident = Incident(
                title=title,
                description=description,
                status=lifecycle.OPEN,
                severity=sev.name,
                component=component,
                private=private,
                drill=drill,
                declarer=actor,
                started_at=started,
                detected_at=detected,
                declared_at=now,
                last_update_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(incident)
            session.flush()
            if actor:
                session.add(
                    IncidentRole(
                        incident_id=incident.id,
                        role="commander",
                        user_id=actor,
                        assigned_at=now,
                        assigned_by=actor,
                    )
                )
                session.add(IncidentMember(incident_id=incident.id, user_id=actor, added_at=now))
            label = "Drill declared" if drill else "Incident declared"
            # Nothing to post or redraw yet: opening the channel posts the card.
            self.work.record(
                session,
                incident,
                "declared",
                actor,
                f"{label}: {title} ({sev.name})",
                {"severity": sev.name, "private": private, "drill": drill},
                touch=False,
                announce=False,
                redraw=None,
            )
            self.work.enqueue(session, effects.OpenChannel(incident.id), incident, now=now)
            if self.paging is not None:
                self.paging.on_declared(session, incident, page)
            if link is not None:
                link(session, incident)
            session.flush()
            session.refresh(incident)
            return incident

    def transition(
        self,
        incident_id: int,
        target: str,
        *,
        actor: str | None,
        expected_version: int | None = None,
        reason: str | None = None,
        request_key: str | None = None,
        expected_status: str | None = None,
    ) -> Incident:
        """Move an incident to `target`; closing and reopening take their reason.

        `expected_status` is the status a button was drawn for: if the incident moved
        since, nothing changes and the user is told its current state.
        """
        return self._move(
            incident_id, target, actor, expected_version, reason, request_key, expected_status
        )

    def close(
        self,
        incident_id: int,
        *,
        actor: str | None,
        reason: str | None = None,
        expected_version: int | None = None,
        request_key: str | None = None,
        expected_status: str | None = None,
        failure_class: str | None = None,
    ) -> Incident:
        """Close an incident; before mitigation a closure reason is required.

        A `failure_class` given here is recorded in the same transaction.
        """
        known = self.rules.failure_class(failure_class) if failure_class else None
        return self._move(
            incident_id,
            CLOSED,
            actor,
            expected_version,
            reason,
            request_key,
            expected_status,
            failure_class=known,
        )

    def reopen(
        self,
        incident_id: int,
        *,
        reason: str,
        actor: str | None,
        target: str = lifecycle.INVESTIGATING,
        expected_version: int | None = None,
        request_key: str | None = None,
        expected_status: str | None = None,
    ) -> Incident:
        """Reopen a mitigated incident to investigating or mitigating, with a written reason."""
        reason = rules.reopen_reason(reason, target)
        return self._move(
            incident_id,
            target,
            actor,
            expected_version,
            reason,
            request_key,
            expected_status,
            reopen=True,
        )

    def _move(
        self,
        incident_id: int,
        target: str,
        actor: str | None,
        expected_version: int | None,
        reason: str | None,
        request_key: str | None,
        expected_status: str | None = None,
        *,
        reopen: bool = False,
        failure_class: str | None = None,
    ) -> Incident:
        target = rules.status(target)
        admin = self.policy.is_admin(actor)  # may look up user groups: before the transaction
        with self.work.begin(request_key) as session:
            incident = self._gate(session, incident_id, actor, admin)
            incident = self.work.load(session, incident_id, expected_version, expected_status)
            previous = incident.status
            action = Action.MOVE
            if target == CLOSED:
                action = Action.CLOSE
            elif previous == MITIGATED and target in lifecycle.ACTIVE:
                action = Action.REOPEN
            self.check(session, incident, action, actor, admin)
            closure, reopening = self.rules.check_move(
                incident.reference, previous, incident.severity, target, reason, reopen=reopen
            )
            now = self.clock()
            incident.status = target
            data: dict[str, Any] = {"from": previous, "to": target}
            if reopening:
                incident.mitigated_at = None
                data["reason"] = (reason or "").strip()
                kind, text = "reopened", f"Reopened to {target}: {data['reason']}"
            elif target == CLOSED:
                incident.closed_at, incident.closure_reason = now, closure
                data["reason"] = closure
                kind, text = "closed", f"Closed ({closure})"
            else:
                if target == MITIGATED:
                    incident.mitigated_at = now
                kind, text = "status_changed", f"Status changed from {previous} to {target}"
            if target == CLOSED and failure_class and failure_class != incident.failure_class:
                # The class is set before the close is posted (posting flushes), so the row
                # is written once: one version bump for the close and its classification.
                event = self.work.record(
                    session, incident, kind, actor, text, data, announce=False, redraw=None
                )
                self._classify(session, incident, failure_class, actor, touch=False, redraw=None)
                self.work.announce(session, incident, event)
                self.work.redraw(session, incident, "status")
            else:
                self.work.record(session, incident, kind, actor, text, data, redraw="status")
            if target == lifecycle.POSTMORTEM:
                self.work.enqueue(session, effects.ExportPostmortem(incident.id), incident, now=now)
            elif target == CLOSED and (
                previous == lifecycle.POSTMORTEM or incident.postmortem_page_id is not None
            ):
                # The page said "not closed yet": export once more, so it shows the closed
                # status, the duration and the closure reason (same page, authors' part kept).
                closing = effects.ExportPostmortem(incident.id, reason="closed")
                self.work.enqueue(session, closing, incident, now=now)
            if self.paging is not None:
                self.paging.on_status(session, incident, target)
            return incident

    def set_severity(
        self,
        incident_id: int,
        severity: str,
        *,
        actor: str | None,
        expected_version: int | None = None,
        request_key: str | None = None,
        expected_status: str | None = None,
    ) -> Incident:
        """Change the severity."""
        sev = self.rules.severity(severity)
        admin = self.policy.is_admin(actor)  # may look up user groups: before the transaction
        with self.work.begin(request_key) as session:
            self._gate(session, incident_id, actor, admin)
            incident = self.work.load(session, incident_id, expected_version, expected_status)
            if incident.status == CLOSED:
                raise InvalidInput(f"{incident.reference} is closed; its severity is final.")
            previous = incident.severity
            lower = self.rules.downgrades(previous, sev.name)
            action = Action.LOWER_SEVERITY if lower else Action.RAISE_SEVERITY
            self.check(session, incident, action, actor, admin)
            if previous == sev.name:
                raise InvalidInput(f"{incident.reference} is already {sev.name}.")
            incident.severity = sev.name
            self.work.record(
                session,
                incident,
                "severity_changed",
                actor,
                f"Severity changed from {previous} to {sev.name}",
                {"from": previous, "to": sev.name},
                redraw="severity",
            )
            if self.paging is not None:
                self.paging.on_severity(session, incident, previous)
            return incident

    def set_milestone(
        self,
        incident_id: int,
        milestone: str,
        at: datetime,
        *,
        actor: str | None,
        expected_version: int | None = None,
    ) -> Incident:
        """Correct when the impact started or when it was detected."""
        milestone = rules.milestone(milestone, at)
        rules.not_in_future(milestone, at, self.clock())
        admin = self.policy.is_admin(actor)
        with self.work.begin() as session:
            self._gate(session, incident_id, actor, admin)
            incident = self.work.load(session, incident_id, expected_version)
            self.check(session, incident, Action.UPDATE, actor, admin)
            started = at if milestone == "started" else incident.started_at
            detected = at if milestone == "detected" else incident.detected_at
            rules.milestones_in_order(started, detected, incident.declared_at)
            setattr(incident, f"{milestone}_at", at)
            self.work.record(
                session,
                incident,
                "milestone_set",
                actor,
                f"{milestone.capitalize()} at {at.isoformat()}",
                {"milestone": milestone, "at": at.isoformat()},
                redraw="milestone",
            )
            return incident

    def assign_role(
        self,
        incident_id: int,
        role: str,
        user_id: str,
        *,
        actor: str | None,
        expected_version: int | None = None,
        request_key: str | None = None,
    ) -> Incident:
        """Give `role` to `user_id`; the previous holder is recorded in the timeline."""
        role = normalise_role(role)
        user_id = (user_id or "").strip()
        if not user_id:
            raise InvalidInput("Name the person: `role commander @someone`.")
        admin = self.policy.is_admin(actor)  # may look up user groups: before the transaction
        with self.work.begin(request_key) as session:
            self._gate(session, incident_id, actor, admin)
            incident = self.work.load(session, incident_id, expected_version)
            if incident.status == CLOSED:
                raise InvalidInput(f"{incident.reference} is closed; its roles are final.")
            now = self.clock()
            current = next((r for r in incident.roles if r.role == role), None)
            previous = current.user_id if current else None
            self.check(session, incident, role_action(role, previous, user_id, actor), actor, admin)
            if previous == user_id:
                raise InvalidInput(Person(user_id), f" is already the {ROLES[role].lower()}.")
            if current is None:
                incident.roles.append(
                    IncidentRole(role=role, user_id=user_id, assigned_at=now, assigned_by=actor)
                )
            else:
                current.user_id = user_id
                current.assigned_at = now
                current.assigned_by = actor
            # Acknowledged means someone other than the declarer took charge.
            first_taker = incident.acknowledged_at is None and user_id != incident.declarer
            if role == "commander" and first_taker:
                incident.acknowledged_at = now
            if session.get(IncidentMember, (incident.id, user_id)) is None:
                session.add(IncidentMember(incident_id=incident.id, user_id=user_id, added_at=now))
            text, data = event_record(
                (f"{ROLES[role]}: ", Person(user_id)),
                {"role": role, "user": user_id, "previous": previous},
            )
            self.work.record(session, incident, "role_assigned", actor, text, data, redraw=None)
            # Invited before the redraw, so the card is drawn with the new holder in the channel.
            self.work.enqueue(session, effects.Invite(incident.id, [user_id]), incident, now=now)
            self.work.redraw(session, incident, "role")
            return incident

    def add_update(
        self,
        incident_id: int,
        text: str,
        *,
        actor: str | None,
        expected_version: int | None = None,
        request_key: str | None = None,
    ) -> Incident:
        """Post a status update to the timeline."""
        text = rules.update_text(text)
        admin = self.policy.is_admin(actor)
        with self.work.begin(request_key) as session:
            self._gate(session, incident_id, actor, admin)
            incident = self.work.load(session, incident_id, expected_version)
            if incident.status == CLOSED:
                raise InvalidInput(
                    f"{incident.reference} is closed; if the problem is back, declare a new "
                    "incident."
                )
            now = self.clock()
            if incident.acknowledged_at is None:
                incident.acknowledged_at = now
            incident.last_update_at = now
            # The card shows no updates, so nothing to redraw: the event post is enough.
            self.work.record(session, incident, "update", actor, text, redraw=None)
            return incident

    def _classify(
        self,
        session: Session,
        incident: Incident,
        failure_class: str,
        actor: str | None,
        *,
        touch: bool,
        redraw: str | None,
    ) -> None:
        previous = incident.failure_class
        incident.failure_class = failure_class
        self.work.record(
            session,
            incident,
            "failure_class_set",
            actor,
            f"Failure class: {failure_class}",
            {"failure_class": failure_class, "previous": previous},
            touch=touch,
            redraw=redraw,
        )

    def set_failure_class(
        self,
        incident_id: int,
        failure_class: str,
        *,
        actor: str | None,
        expected_version: int | None = None,
        request_key: str | None = None,
    ) -> Incident:
        """Record where the failure came from (one of FIREFIGHTER_FAILURE_CLASSES)."""
        known = self.rules.failure_class(failure_class)
        admin = self.policy.is_admin(actor)
        with self.work.begin(request_key) as session:
            self._gate(session, incident_id, actor, admin)
            incident = self.work.load(session, incident_id, expected_version)
            if incident.failure_class == known:
                raise InvalidInput(f"{incident.reference} is already classed as {known}.")
            self._classify(session, incident, known, actor, touch=True, redraw="failure_class")
            return incident

    def snooze_reminders(
        self,
        incident_id: int,
        *,
        minutes: int,
        actor: str | None,
        request_key: str | None = None,
    ) -> datetime:
        """Silence the update reminders of an active incident for `minutes`; returns until when.

        Not a change of the incident itself, so the version stays: buttons drawn before remain
        valid.
        """
        if minutes <= 0:
            raise InvalidInput("Snooze for a positive number of minutes.")
        admin = self.policy.is_admin(actor)
        with self.work.begin(request_key) as session:
            self._gate(session, incident_id, actor, admin)
            incident = self.work.load(session, incident_id, None)
            if not lifecycle.is_active(incident.status):
                raise InvalidInput(
                    f"{incident.reference} is {incident.status}; it gets no update reminders "
                    "any more."
                )
            until = self.clock() + timedelta(minutes=minutes)
            write_unversioned(session, incident.id, reminders_snoozed_until=until)
            self.work.record(
                session,
                incident,
                "reminders_snoozed",
                actor,
                f"Update reminders snoozed for {minutes} min",
                {"minutes": minutes, "until": until.isoformat()},
                touch=False,
                announce=False,
                redraw=None,
            )
            return until

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

    def postmortem(self, incident_id: int, *, actor: str | None) -> bool:
        """Start the post-mortem of a mitigated incident (moving it to postmortem exports the
        page), or export it again later on; True when it moved. Refused before mitigation."""
        status = self.as_drawn(incident_id, None).status
        if rules.postmortem_starts(status):
            self.transition(incident_id, lifecycle.POSTMORTEM, actor=actor)
            return True
        self.request_postmortem(incident_id, actor=actor)
        return False

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

    def notify(self, incident_id: int, text: str, *, key: str) -> None:
        """Enqueue a one-off notice for the incident channel, deduplicated by `key`."""
        try:
            with self.work.begin(f"notify:{key}") as session:
                # No incident_id on the row: see effects.NOTIFY.
                notice = effects.Notify(incident_id, text, key)
                enqueue(session, notice, incident_id=None, now=self.clock())
        except AlreadyProcessed:
            return

    # ---- facts recorded by adapters: see adapter_facts ----------------------------------

    def record_slack(self, incident_id: int, **refs: str | None) -> None:
        """Remember what the Slack adapter made (channel, card, announcement); no version bump."""
        self.facts.record_slack(incident_id, **refs)

    def add_members(self, incident_id: int, user_ids: list[str]) -> None:
        """Remember people who are in the incident (invited or joined); no version bump."""
        self.facts.add_members(incident_id, user_ids)

    def joined(self, incident_id: int, user_id: str) -> None:
        """Someone joined the channel: a member now, and shown where the incident stands."""
        self.facts.joined(incident_id, user_id)

    def find_by_channel(self, channel_id: str) -> Incident | None:
        """The incident whose channel is `channel_id`."""
        return self.facts.find_by_channel(channel_id)
