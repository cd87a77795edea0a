"""The service layer: the only code that changes incidents.

Every command is one transaction that checks the lifecycle, bumps the incident's version,
appends timeline events and enqueues the side effects. Nothing here talks to Slack.

The rules it checks live in `rules`, the transaction and what a change records in
`unit_of_work`, and what adapters remember (no user change) in `adapter_facts`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from firefighter.incidents import effects, lifecycle, rules
from firefighter.incidents.authorization import Action
from firefighter.incidents.detail_commands import DetailCommands
from firefighter.incidents.errors import AlreadyProcessed, InvalidInput
from firefighter.incidents.lifecycle import CLOSED, MITIGATED
from firefighter.incidents.models import Incident, IncidentMember, IncidentRole
from firefighter.incidents.postmortem_commands import PostmortemCommands
from firefighter.incidents.rules import (
    CLOSURE_REASONS,
    MILESTONES,
    ROLE_ALIASES,
    ROLES,
    clean,
    normalise_role,
)
from firefighter.incidents.unit_of_work import Clock
from firefighter.incidents.wording import Person, event_record
from firefighter.outbox import enqueue

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


def role_action(role: str, previous: str | None, user_id: str, actor: str | None) -> Action:
    """Which row of the table a role change is: taking a free role for oneself, taking command
    from someone else, or assigning a role."""
    if role == "commander" and previous is not None and previous != actor:
        return Action.TAKE_OVER_COMMAND
    if previous is None and user_id == actor:
        return Action.TAKE_FREE_ROLE
    return Action.ASSIGN_ROLE


class IncidentService(DetailCommands, PostmortemCommands):
    """Commands on incidents, each one transaction (the detail and post-mortem commands are
    in their own modules; what they share is `ServiceBase`)."""

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

    def postmortem(self, incident_id: int, *, actor: str | None) -> bool:
        """Start the post-mortem of a mitigated incident (moving it to postmortem exports the
        page), or export it again later on; True when it moved. Refused before mitigation."""
        status = self.as_drawn(incident_id, None).status
        if rules.postmortem_starts(status):
            self.transition(incident_id, lifecycle.POSTMORTEM, actor=actor)
            return True
        self.request_postmortem(incident_id, actor=actor)
        return False

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
