"""Commands that add detail to an incident without moving it: milestones, updates, the
failure class, snoozing its reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from firefighter.incidents import lifecycle, rules
from firefighter.incidents.authorization import Action
from firefighter.incidents.errors import InvalidInput
from firefighter.incidents.lifecycle import CLOSED
from firefighter.incidents.models import Incident
from firefighter.incidents.service_base import ServiceBase
from firefighter.incidents.unit_of_work import write_unversioned


class DetailCommands(ServiceBase):
    """Milestones, updates, failure class and reminder snoozes, each one transaction."""

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
