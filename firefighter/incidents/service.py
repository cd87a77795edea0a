"""The service layer: the only code that changes incidents.

Every command is one transaction that checks the lifecycle, bumps the incident's version,
appends timeline events and enqueues the side effects. Nothing here talks to Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from firefighter.db import utcnow, writing
from firefighter.incidents import effects, lifecycle
from firefighter.incidents.access import AccessPolicy
from firefighter.incidents.adapter_facts import AdapterFacts
from firefighter.incidents.errors import (
    AlreadyProcessed,
    Conflict,
    InvalidInput,
    NotFound,
    TransitionRefused,
)
from firefighter.incidents.lifecycle import CLOSED, MITIGATED, ClosureReason, MoveContext
from firefighter.incidents.models import (
    TITLE_MAX,
    UPDATE_MAX,
    Incident,
    IncidentMember,
    IncidentRole,
    TimelineEvent,
)
from firefighter.outbox import enqueue
from firefighter.outbox.models import ProcessedRequest
from firefighter.settings import DEFAULT_FAILURE_CLASSES, DEFAULT_SEVERITIES, Severity

Clock = Callable[[], datetime]

ROLES: dict[str, str] = {
    "commander": "Incident commander",
    "communications": "Communications lead",
    "scribe": "Scribe",
}
ROLE_ALIASES = {"comms": "communications", "ic": "commander", "lead": "commander"}
MILESTONES = ("started", "detected")
CLOSURE_REASONS = [r.value for r in ClosureReason]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str | None) -> str:
    """User text without control characters (PostgreSQL refuses NUL; none is ever meant)."""
    return _CONTROL.sub("", text or "")


def normalise_role(role: str) -> str:
    """The canonical role name for what a user typed, or InvalidInput."""
    key = role.strip().lower()
    key = ROLE_ALIASES.get(key, key)
    if key not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}. Roles are: commander, comms, scribe.")
    return key


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
    ) -> None:
        self.factory = factory
        self.severities = severities or list(DEFAULT_SEVERITIES)
        self.clock = clock
        self.failure_classes = failure_classes or list(DEFAULT_FAILURE_CLASSES)
        self.policy = policy or AccessPolicy()
        self.facts = AdapterFacts(factory, clock)

    # ---- helpers -------------------------------------------------------------------

    def severity(self, name: str) -> Severity:
        """The configured severity called `name`, or InvalidInput listing the choices."""
        wanted = (name or "").strip().upper()
        for severity in self.severities:
            if severity.name == wanted:
                return severity
        names = ", ".join(s.name for s in self.severities)
        raise InvalidInput(f"Unknown severity {name!r}. Choose one of {names}.")

    def failure_class(self, name: str) -> str:
        """The configured failure class matching `name` (case-insensitive), or InvalidInput."""
        wanted = " ".join((name or "").split()).lower()
        for known in self.failure_classes:
            if known.lower() == wanted:
                return known
        choices = ", ".join(self.failure_classes)
        raise InvalidInput(f"Unknown failure class {name!r}. Choose one of: {choices}.")

    def _rank(self, severity: str) -> int:
        names = [s.name for s in self.severities]
        return names.index(severity) if severity in names else len(names)

    @staticmethod
    def _holders(incident: Incident) -> list[str]:
        return list(dict.fromkeys(role.user_id for role in incident.roles))

    def postmortem_required(self, severity: str) -> bool:
        """Whether an incident of `severity` must go through `postmortem` before `closed`."""
        try:
            return self.severity(severity).postmortem_required
        except InvalidInput:
            return False

    def next_states(self, incident: Incident) -> list[str]:
        """The states this incident can move to now without extra input."""
        return lifecycle.next_states(
            incident.status, postmortem_required=self.postmortem_required(incident.severity)
        )

    @contextmanager
    def _unit(self, request_key: str | None = None) -> Iterator[Session]:
        try:
            with self.factory() as session, writing(session), session.begin():
                if request_key is not None:
                    session.add(ProcessedRequest(key=request_key[:200], created_at=self.clock()))
                    try:
                        session.flush()
                    except IntegrityError:
                        raise AlreadyProcessed("That request was already handled.") from None
                yield session
        except StaleDataError:
            raise Conflict(
                "Someone else changed this incident at the same moment; nothing was changed. "
                "Look at its current state and try again."
            ) from None
        except IntegrityError as error:
            if request_key is not None and "processed_requests" in str(error.orig):
                raise AlreadyProcessed("That request was already handled.") from None
            raise

    def _load(
        self,
        session: Session,
        incident_id: int,
        expected_version: int | None,
        expected_status: str | None = None,
    ) -> Incident:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"There is no incident INC-{incident_id}.")
        stale_version = expected_version is not None and incident.version != expected_version
        stale_status = expected_status is not None and incident.status != expected_status
        if stale_version or stale_status:
            raise Conflict(
                f"{incident.reference} changed since you looked at it: it is now "
                f"{incident.status} ({incident.severity}). Nothing was changed."
            )
        return incident

    def _event(
        self,
        session: Session,
        incident: Incident,
        kind: str,
        actor: str | None,
        text: str,
        data: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> TimelineEvent:
        event = TimelineEvent(
            incident_id=incident.id,
            at=at or self.clock(),
            kind=kind,
            actor=actor,
            text=text,
            data=data or {},
        )
        session.add(event)
        return event

    def _touch(self, incident: Incident) -> None:
        # Always writing updated_at makes every command an UPDATE of the incident row,
        # so every command bumps the version and takes part in optimistic locking.
        incident.updated_at = self.clock()

    def _changed(self, session: Session, incident: Incident, what: str) -> None:
        enqueue(
            session,
            effects.REFRESH,
            {"incident_id": incident.id, "what": what},
            incident_id=incident.id,
            now=self.clock(),
        )

    def _announce_event(self, session: Session, incident: Incident, event: TimelineEvent) -> None:
        session.flush()
        enqueue(
            session,
            effects.POST_EVENT,
            {"incident_id": incident.id, "event_id": event.id},
            incident_id=incident.id,
            now=self.clock(),
        )

    def _refusal(self, incident: Incident, target: str, reason: str | None) -> TransitionRefused:
        status = incident.status
        allowed = self.next_states(incident)
        ref = incident.reference
        if target == CLOSED and status == MITIGATED and self.postmortem_required(incident.severity):
            message = (
                f"{ref} is mitigated; a {incident.severity} incident needs its post-mortem "
                "before it closes: move it to postmortem first."
            )
        elif target == CLOSED and lifecycle.can_close_early(status):
            message = (
                f"{ref} is {status}; to close it before it is mitigated, give a closure "
                f"reason: {', '.join(CLOSURE_REASONS)}."
            )
        elif status == CLOSED:
            message = f"{ref} is closed; it cannot change any more."
        else:
            options = " or ".join(allowed) if allowed else "nothing else"
            message = f"{ref} is {status}; it can move to {options}"
            if lifecycle.can_close_early(status):
                message += ", or be closed early with a reason"
            if lifecycle.reopen_targets(status):
                message += ", or be reopened with a written reason"
            message += "."
        return TransitionRefused(message, status=status, allowed=allowed)

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
    ) -> Incident:
        """Open a new incident; the declarer becomes its commander.

        `link(session, incident)` runs in the same transaction (a Game Day records its drill).
        """
        title = " ".join(clean(title).split())
        description = clean(description)
        component = clean(component) or None
        if not title:
            raise InvalidInput("Give the incident a title: one line saying what is broken.")
        if len(title) > TITLE_MAX:
            raise InvalidInput(f"The title is {len(title)} characters; keep it under {TITLE_MAX}.")
        if len(description) > 10_000:
            raise InvalidInput("The description is over 10,000 characters; shorten it.")
        sev = self.severity(severity)
        self.policy.check_declare(actor)
        now = self.clock()
        for label, value in (("impact start", started_at), ("detection", detected_at)):
            if value is not None and value > now + timedelta(minutes=1):
                raise InvalidInput(f"The {label} time is in the future; give a past time.")
        detected = detected_at or now
        started = started_at or detected
        if started > detected:
            raise InvalidInput("The impact cannot start after it was detected; check both times.")
        with self._unit(request_key) as session:
            incident = Incident(
                title=title,
                description=description.strip(),
                status=lifecycle.OPEN,
                severity=sev.name,
                component=component or None,
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
            self._event(
                session,
                incident,
                "declared",
                actor,
                f"{label}: {title} ({sev.name})",
                {"severity": sev.name, "private": private, "drill": drill},
            )
            enqueue(
                session,
                effects.OPEN_CHANNEL,
                {"incident_id": incident.id},
                incident_id=incident.id,
                now=now,
            )
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
        known = self.failure_class(failure_class) if failure_class else None
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
        reason = clean(reason)
        if not reason.strip():
            raise InvalidInput("Say why you reopen it: `reopen <reason>`.")
        if target not in (lifecycle.INVESTIGATING, lifecycle.MITIGATING):
            raise InvalidInput("An incident reopens to investigating or mitigating.")
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
        target = (target or "").strip().lower()
        if not lifecycle.is_known(target):
            states = ", ".join(s.value for s in lifecycle.Status)
            raise InvalidInput(f"Unknown status {target!r}. Statuses are: {states}.")
        free = self.policy.unrestricted(actor)  # may look up user groups: before the transaction
        with self._unit(request_key) as session:
            incident = self._load(session, incident_id, expected_version, expected_status)
            previous = incident.status
            if target == CLOSED or (previous == MITIGATED and target in lifecycle.ACTIVE):
                what = "close" if target == CLOSED else "reopen"
                self.policy.check_responder(
                    actor, self._holders(incident), what, incident.reference, free
                )
            if reopen and previous != MITIGATED:
                raise TransitionRefused(
                    f"{incident.reference} is {previous}; only a mitigated incident "
                    "can be reopened.",
                    status=previous,
                    allowed=self.next_states(incident),
                )
            reopening = previous == MITIGATED and target in lifecycle.reopen_targets(previous)
            closure = None
            if target == CLOSED:
                closure = (reason or "").strip().lower().replace(" ", "_") or None
                if closure is not None and closure not in CLOSURE_REASONS:
                    raise InvalidInput(
                        f"Unknown closure reason {reason!r}. Reasons are: "
                        f"{', '.join(CLOSURE_REASONS)}."
                    )
                if closure is None and not lifecycle.can_close_early(previous):
                    closure = ClosureReason.RESOLVED.value
            context = MoveContext(
                postmortem_required=self.postmortem_required(incident.severity),
                closure_reason=closure,
                reopen_reason=reason if reopening else None,
            )
            if previous == target or not lifecycle.attempt(previous, target, context):
                raise self._refusal(incident, target, reason)
            now = self.clock()
            incident.status = target
            self._touch(incident)
            if reopening:
                incident.mitigated_at = None
                event = self._event(
                    session,
                    incident,
                    "reopened",
                    actor,
                    f"Reopened to {target}: {(reason or '').strip()}",
                    {"from": previous, "to": target, "reason": (reason or "").strip()},
                )
            elif target == CLOSED:
                incident.closed_at = now
                incident.closure_reason = closure
                event = self._event(
                    session,
                    incident,
                    "closed",
                    actor,
                    f"Closed ({closure})",
                    {"from": previous, "to": target, "reason": closure},
                )
                if failure_class and failure_class != incident.failure_class:
                    self._classify(session, incident, failure_class, actor)
            else:
                if target == MITIGATED:
                    incident.mitigated_at = now
                event = self._event(
                    session,
                    incident,
                    "status_changed",
                    actor,
                    f"Status changed from {previous} to {target}",
                    {"from": previous, "to": target},
                )
            self._announce_event(session, incident, event)
            self._changed(session, incident, "status")
            if target == lifecycle.POSTMORTEM:
                enqueue(
                    session,
                    effects.EXPORT_POSTMORTEM,
                    {"incident_id": incident.id},
                    incident_id=incident.id,
                    now=now,
                )
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
        sev = self.severity(severity)
        free = self.policy.unrestricted(actor)  # may look up user groups: before the transaction
        with self._unit(request_key) as session:
            incident = self._load(session, incident_id, expected_version, expected_status)
            if incident.status == CLOSED:
                raise InvalidInput(f"{incident.reference} is closed; its severity is final.")
            previous = incident.severity
            if self._rank(sev.name) > self._rank(previous):
                self.policy.check_responder(
                    actor, self._holders(incident), "downgrade", incident.reference, free
                )
            if previous == sev.name:
                raise InvalidInput(f"{incident.reference} is already {sev.name}.")
            incident.severity = sev.name
            self._touch(incident)
            event = self._event(
                session,
                incident,
                "severity_changed",
                actor,
                f"Severity changed from {previous} to {sev.name}",
                {"from": previous, "to": sev.name},
            )
            self._announce_event(session, incident, event)
            self._changed(session, incident, "severity")
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
        milestone = milestone.strip().lower()
        if milestone not in MILESTONES:
            raise InvalidInput("Only the started and detected milestones can be edited.")
        if at.tzinfo is None:
            raise InvalidInput("Give the time with a time zone.")
        if at > self.clock() + timedelta(minutes=1):
            raise InvalidInput(f"The {milestone} time is in the future; give a past time.")
        with self._unit() as session:
            incident = self._load(session, incident_id, expected_version)
            started = at if milestone == "started" else incident.started_at
            detected = at if milestone == "detected" else incident.detected_at
            if started and detected and started > detected:
                raise InvalidInput("The impact cannot start after it was detected.")
            if detected and detected > incident.declared_at:
                raise InvalidInput("Detection cannot come after the incident was declared.")
            setattr(incident, f"{milestone}_at", at)
            self._touch(incident)
            event = self._event(
                session,
                incident,
                "milestone_set",
                actor,
                f"{milestone.capitalize()} at {at.isoformat()}",
                {"milestone": milestone, "at": at.isoformat()},
            )
            self._announce_event(session, incident, event)
            self._changed(session, incident, "milestone")
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
        with self._unit(request_key) as session:
            incident = self._load(session, incident_id, expected_version)
            if incident.status == CLOSED:
                raise InvalidInput(f"{incident.reference} is closed; its roles are final.")
            now = self.clock()
            current = next((r for r in incident.roles if r.role == role), None)
            previous = current.user_id if current else None
            if previous == user_id:
                raise InvalidInput(f"<@{user_id}> is already the {ROLES[role].lower()}.")
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
            self._touch(incident)
            event = self._event(
                session,
                incident,
                "role_assigned",
                actor,
                f"{ROLES[role]}: <@{user_id}>",
                {"role": role, "user": user_id, "previous": previous},
            )
            self._announce_event(session, incident, event)
            enqueue(
                session,
                effects.INVITE,
                {"incident_id": incident.id, "users": [user_id]},
                incident_id=incident.id,
                now=now,
            )
            self._changed(session, incident, "role")
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
        text = clean(text).strip()
        if not text:
            raise InvalidInput("Write the update after the command: `update <what changed>`.")
        if len(text) > UPDATE_MAX:
            raise InvalidInput(f"The update is {len(text)} characters; keep it under {UPDATE_MAX}.")
        with self._unit(request_key) as session:
            incident = self._load(session, incident_id, expected_version)
            if incident.status == CLOSED:
                raise InvalidInput(
                    f"{incident.reference} is closed; if the problem is back, declare a new "
                    "incident."
                )
            now = self.clock()
            if incident.acknowledged_at is None:
                incident.acknowledged_at = now
            incident.last_update_at = now
            self._touch(incident)
            event = self._event(session, incident, "update", actor, text)
            # The card shows no updates, so nothing to redraw: the event post is enough.
            self._announce_event(session, incident, event)
            return incident

    def _classify(
        self, session: Session, incident: Incident, failure_class: str, actor: str | None
    ) -> None:
        previous = incident.failure_class
        incident.failure_class = failure_class
        event = self._event(
            session,
            incident,
            "failure_class_set",
            actor,
            f"Failure class: {failure_class}",
            {"failure_class": failure_class, "previous": previous},
        )
        self._announce_event(session, incident, event)

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
        known = self.failure_class(failure_class)
        with self._unit(request_key) as session:
            incident = self._load(session, incident_id, expected_version)
            if incident.failure_class == known:
                raise InvalidInput(f"{incident.reference} is already classed as {known}.")
            self._touch(incident)
            self._classify(session, incident, known, actor)
            self._changed(session, incident, "failure_class")
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
        with self._unit(request_key) as session:
            incident = self._load(session, incident_id, None)
            if not lifecycle.is_active(incident.status):
                raise InvalidInput(
                    f"{incident.reference} is {incident.status}; it gets no update reminders "
                    "any more."
                )
            until = self.clock() + timedelta(minutes=minutes)
            session.execute(
                update(Incident)
                .where(Incident.id == incident.id)
                .values(reminders_snoozed_until=until)
                .execution_options(synchronize_session=False)
            )
            self._event(
                session,
                incident,
                "reminders_snoozed",
                actor,
                f"Update reminders snoozed for {minutes} min",
                {"minutes": minutes, "until": until.isoformat()},
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
    ) -> Incident:
        """Store the published post-mortem and note it in the timeline.

        `key` names the export: a redelivered export records (and links back) only once.
        """
        try:
            return self._record_postmortem(incident_id, page_id, url, actor, key)
        except AlreadyProcessed:
            with self.factory() as session:
                incident = session.get(Incident, incident_id)
                if incident is None:
                    raise NotFound(f"There is no incident INC-{incident_id}.") from None
                return incident

    def _record_postmortem(
        self, incident_id: int, page_id: str, url: str, actor: str | None, key: str | None
    ) -> Incident:
        with self._unit(f"postmortem-recorded:{key}" if key else None) as session:
            incident = self._load(session, incident_id, None)
            first = incident.postmortem_page_id is None
            incident.postmortem_page_id = page_id
            incident.postmortem_url = url
            self._touch(incident)
            verb = "published" if first else "updated"
            self._event(
                session,
                incident,
                "postmortem_published",
                actor,
                f"Post-mortem {verb}: {url}",
                {"page_id": page_id, "url": url, "first": first},
            )
            self._changed(session, incident, "postmortem")
            enqueue(
                session,
                effects.POSTMORTEM_PUBLISHED,
                {"incident_id": incident.id, "url": url, "first": first},
                incident_id=incident.id,
                now=self.clock(),
            )
            return incident

    def request_postmortem(self, incident_id: int, *, actor: str | None) -> int:
        """Enqueue a post-mortem export; returns the outbox item id to wait for."""
        with self._unit() as session:
            incident = self._load(session, incident_id, None)
            item = enqueue(
                session,
                effects.EXPORT_POSTMORTEM,
                {"incident_id": incident.id, "requested_by": actor},
                incident_id=incident.id,
                now=self.clock(),
            )
            session.flush()
            return item.id

    def notify(self, incident_id: int, text: str, *, key: str) -> None:
        """Enqueue a one-off notice for the incident channel, deduplicated by `key`."""
        try:
            with self._unit(f"notify:{key}") as session:
                enqueue(
                    session,
                    effects.NOTIFY,
                    {"incident_id": incident_id, "text": text, "key": key},
                    incident_id=None,
                    now=self.clock(),
                )
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
