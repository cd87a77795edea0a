"""Alerts in the core: intake (de-duplicated, routed), and the triage decisions on a group.

The adapter parses a webhook into `IncomingGroup`s and routes each one by the rules file;
`AlertService.ingest` then stores everything in one transaction: alerts bumped or added,
incidents declared, timeline events for linked alerts, and the outbox rows that draw the
triage cards. Nothing here talks to Slack or reads the rules file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firefighter.incidents import effects, rules
from firefighter.incidents.alert_models import (
    ATTACHED,
    DECLARED,
    DISMISSED,
    FIRING,
    IGNORED,
    RESOLVED,
    TITLE_MAX,
    TRIAGE,
    Alert,
    AlertGroup,
    AlertStorm,
)
from firefighter.incidents.alert_queries import (
    alert_json,
    alerts_of,
    linked_counts,
    linked_counts_in,
    list_alerts,
)
from firefighter.incidents.alert_storms import (
    StormState,
    fold,
    lock_storm,
    should_fold,
)
from firefighter.incidents.alert_types import (
    CardState,
    IncomingAlert,
    IncomingGroup,
    Intake,
    Route,
    describe,
)
from firefighter.incidents.authorization import Action
from firefighter.incidents.errors import Conflict, NotFound
from firefighter.incidents.models import Incident
from firefighter.incidents.service import IncidentService
from firefighter.incidents.triage_cards import TriageCards
from firefighter.incidents.unit_of_work import Clock
from firefighter.incidents.wording import Person, Words
from firefighter.outbox import enqueue
from firefighter.outbox.models import OutboxItem
from firefighter.text import truncate

__all__ = [
    "AlertService",
    "CardState",
    "IncomingAlert",
    "IncomingGroup",
    "Intake",
    "Route",
    "StormState",
    "alert_json",
    "describe",
    "linked_counts",
    "list_alerts",
]

ANNOUNCE_MAX = 3
"""Alert events of one webhook posted one by one in the incident channel; more become one
summary, so that an alert storm does not become a storm of messages."""


class AlertService(TriageCards):
    """Alert commands, each one transaction through the incident service's unit of work."""

    def __init__(
        self, incidents: IncidentService, *, card_seconds: float = 5.0, storm_cards: int = 10
    ) -> None:
        self.incidents = incidents
        self.work = incidents.work
        self.card_seconds = card_seconds
        self.storm_cards = storm_cards

    @property
    def clock(self) -> Clock:
        """The service clock."""
        return self.incidents.clock

    # ---- intake --------------------------------------------------------------------

    def ingest(self, groups: Sequence[IncomingGroup]) -> Intake:
        """Store a webhook's alerts, de-duplicated, and do what their routes say.

        Two webhooks racing to create the same alert: the loser's transaction rolls back
        whole and runs again, finding the winner's rows.
        """
        for attempt in range(3):
            try:
                with self.work.begin() as session:
                    return self._ingest(session, groups)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _ingest(self, session: Session, groups: Sequence[IncomingGroup]) -> Intake:
        intake = Intake()
        now = self.clock()
        # Each source's storm row first, before any group's: the same lock order everywhere.
        storms = {
            source: lock_storm(session, source) for source in sorted({g.source for g in groups})
        }
        for incoming in sorted(groups, key=lambda g: g.key):
            self._ingest_group(session, incoming, now, intake, storms[incoming.source])
        return intake

    def _ingest_group(
        self,
        session: Session,
        incoming: IncomingGroup,
        now: datetime,
        intake: Intake,
        storm: AlertStorm | None,
    ) -> None:
        group = session.scalars(
            select(AlertGroup)
            .where(AlertGroup.source == incoming.source, AlertGroup.group_key == incoming.key)
            .with_for_update()
        ).one_or_none()
        created = group is None
        if group is None:
            state = {"ignore": IGNORED, "declare": DECLARED}.get(incoming.route.action, TRIAGE)
            group = AlertGroup(
                source=incoming.source,
                group_key=incoming.key[:255],
                title=truncate(incoming.title or "Alert", TITLE_MAX),
                labels=dict(incoming.labels),
                link=incoming.link,
                state=state,
                round=1,
                changes=0,
                drawn=0,
                pending=False,
                created_at=now,
                updated_at=now,
            )
            session.add(group)
            session.flush()
            if (
                state == TRIAGE
                and storm is not None
                and should_fold(session, storm, now, self.storm_cards)
            ):
                fold(storm, group, now)
        fired: list[Alert] = []  # new, or firing again after a resolution
        resolved: list[Alert] = []
        woke = False
        bumped = False  # fired again while firing: only the card's count changes
        for item in incoming.alerts:
            intake.alerts += 1
            alert = session.scalars(
                select(Alert)
                .where(Alert.source == incoming.source, Alert.fingerprint == item.fingerprint)
                .with_for_update()
            ).one_or_none()
            if alert is None:
                intake.new += 1
                alert = self._new_alert(session, group, incoming.source, item, now)
                if alert.status == FIRING:
                    fired.append(alert)
                    woke = True
                continue
            intake.deduplicated += 1
            if item.status == FIRING:
                alert.count += 1
                alert.last_seen = now
                bumped = True
                if alert.status == RESOLVED:
                    alert.status, alert.resolved_at = FIRING, None
                    fired.append(alert)
                    woke = woke or not alert.dismissed
            elif alert.status == FIRING:
                alert.status = RESOLVED
                alert.resolved_at = min(item.ended_at or now, now)
                alert.last_seen = now
                alert.dismissed = False
                resolved.append(alert)
        group.updated_at = now
        if created and incoming.route.action == "declare":
            self._declare_route(session, group, incoming, now)
        elif group.state == DISMISSED and woke:
            # It fired anew since it was dismissed: triage it again, on a new card.
            group.state, group.round = TRIAGE, group.round + 1
            group.card_channel = group.card_ts = group.decided_by = group.dismiss_reason = None
        if group.incident_id is not None:
            if not (created and incoming.route.action == "declare"):
                self._on_incident(session, group.incident_id, fired, resolved, now)
            if group.incident_id not in intake.incidents:
                intake.incidents.append(group.incident_id)
        # A group declared by a rule never had a card; one declared or attached from its
        # card keeps it up to date.
        has_card = group.state == TRIAGE or (group.state in (DECLARED, ATTACHED) and group.changes)
        if has_card and (created or fired or resolved or bumped):
            self._schedule_card(session, group, now)

    def _new_alert(
        self, session: Session, group: AlertGroup, source: str, item: IncomingAlert, now: datetime
    ) -> Alert:
        started = min(item.started_at or now, now)
        alert = Alert(
            source=source,
            fingerprint=item.fingerprint[:255],
            group_id=group.id,
            status=item.status,
            title=truncate(item.title or group.title, TITLE_MAX),
            labels=dict(item.labels),
            link=item.link,
            incident_id=group.incident_id,
            count=1,
            started_at=started,
            first_seen=now,
            last_seen=now,
            resolved_at=min(item.ended_at or now, now) if item.status == RESOLVED else None,
            dismissed=False,
        )
        session.add(alert)
        session.flush()
        return alert

    def _declare_route(
        self, session: Session, group: AlertGroup, incoming: IncomingGroup, now: datetime
    ) -> None:
        alerts = alerts_of(session, group.id)
        started = min((a.started_at for a in alerts), default=now)
        summary = incoming.summary or group.title
        incident = self.incidents.declare(
            title=group.title,
            severity=incoming.route.severity or self.incidents.severities[-1].name,
            component=incoming.route.component,
            description=describe(group.source, summary, dict(group.labels), group.link),
            actor=None,
            started_at=started,
            detected_at=now,
            within=session,
        )
        group.incident_id = incident.id
        for alert in alerts:
            alert.incident_id = incident.id
        # The channel does not exist yet and the card shows the counts: not posted one by one.
        self._record_alert_events(session, incident, alerts, [], announce=False)

    # ---- linked to an incident --------------------------------------------------------

    def _on_incident(
        self,
        session: Session,
        incident_id: int,
        fired: list[Alert],
        resolved: list[Alert],
        now: datetime,
    ) -> None:
        if not fired and not resolved:
            return
        # Locked, so that two webhooks resolving the last two alerts agree on who was last.
        incident = session.get(Incident, incident_id, with_for_update=True)
        if incident is None:
            return
        for alert in fired:
            alert.incident_id = incident_id
        self._record_alert_events(session, incident, fired, resolved, announce=True)
        if resolved and linked_counts_in(session, incident_id)[0] == 0:
            self.work.enqueue(session, effects.ALERTS_RESOLVED, incident, now=now)

    def _record_alert_events(
        self,
        session: Session,
        incident: Incident,
        fired: Iterable[Alert],
        resolved: Iterable[Alert],
        *,
        announce: bool,
    ) -> None:
        changes = [(a, FIRING) for a in fired] + [(a, RESOLVED) for a in resolved]
        one_by_one = announce and len(changes) <= ANNOUNCE_MAX
        for alert, status in changes:
            verb = "firing" if status == FIRING else "resolved"
            # Facts about the world, not user changes: the version stays, buttons stay valid.
            self.work.record(
                session,
                incident,
                "alert",
                None,
                f"Alert {verb}: {alert.title} ({alert.source})",
                {"alert_id": alert.id, "source": alert.source, "status": status},
                touch=False,
                announce=one_by_one,
                redraw=None,
            )
        if announce and not one_by_one:
            firing = sum(1 for _, s in changes if s == FIRING)
            text = f"{firing} alerts firing, {len(changes) - firing} resolved."
            session.flush()
            enqueue(
                session,
                effects.Notify(incident.id, text, f"alerts:{incident.id}", tone="alerts"),
                incident_id=None,  # as every notice: see effects.NOTIFY
                now=self.clock(),
            )
        if changes:
            self._redraw_incident(session, incident)

    def _redraw_incident(self, session: Session, incident: Incident) -> None:
        # A redraw not yet taken by a worker will draw the latest counts: one is enough.
        waiting = session.scalar(
            select(OutboxItem.id).where(
                OutboxItem.incident_id == incident.id,
                OutboxItem.kind == effects.REFRESH,
                OutboxItem.delivered_at.is_(None),
                OutboxItem.dead_at.is_(None),
                OutboxItem.locked_by.is_(None),
            )
        )
        if waiting is None:
            self.work.redraw(session, incident, "alerts")

    # ---- the buttons ------------------------------------------------------------------

    def _decide(self, session: Session, group_id: int, round: int) -> AlertGroup:
        group = session.get(AlertGroup, group_id, with_for_update=True)
        if group is None:
            raise NotFound("That alert group no longer exists.")
        if group.state != TRIAGE or group.round != round:
            who: Words = (" by ", Person(group.decided_by)) if group.decided_by else ()
            raise Conflict(
                f"These alerts were already handled ({group.state}", *who, "); nothing was changed."
            )
        return group

    def declare_group(
        self,
        group_id: int,
        round: int,
        *,
        actor: str | None,
        request_key: str | None = None,
        **declare: Any,
    ) -> Incident:
        """Declare an incident from a triage card; its alerts become linked to it.

        `declare` takes what `IncidentService.declare` takes (title, severity, …); the
        detection time is the group's first alert's arrival.
        """
        with self.work.begin(request_key) as session:
            group = self._decide(session, group_id, round)
            alerts = alerts_of(session, group.id)
            detected = min((a.first_seen for a in alerts), default=self.clock())
            started = declare.pop("started_at", None) or min(
                (a.started_at for a in alerts), default=detected
            )
            incident = self.incidents.declare(
                actor=actor,
                started_at=min(started, detected),
                detected_at=detected,
                within=session,
                **declare,
            )
            self._link(session, group, incident, DECLARED, actor, announce=False)
            return incident

    def attach(
        self,
        group_id: int,
        round: int,
        incident_id: int,
        *,
        actor: str | None,
        request_key: str | None = None,
    ) -> Incident:
        """Link a triage card's alerts to an open incident the actor may see (the same
        refusal as an unknown one otherwise)."""
        admin = self.incidents.policy.is_admin(actor)
        with self.work.begin(request_key) as session:
            group = self._decide(session, group_id, round)
            incident = session.get(Incident, incident_id, with_for_update=True)
            if incident is None:
                raise NotFound(f"There is no incident INC-{incident_id}.")
            self.incidents.check(session, incident, Action.ATTACH_ALERT, actor, admin)
            rules.check_takes_alerts(
                incident.reference, drill=incident.drill, status=incident.status
            )
            self._link(session, group, incident, ATTACHED, actor, announce=True)
            return incident

    def _link(
        self,
        session: Session,
        group: AlertGroup,
        incident: Incident,
        state: str,
        actor: str | None,
        *,
        announce: bool,
    ) -> None:
        group.state, group.incident_id, group.decided_by = state, incident.id, actor
        alerts = alerts_of(session, group.id)
        for alert in alerts:
            alert.incident_id = incident.id
        firing = [a for a in alerts if a.status == FIRING]
        self._record_alert_events(session, incident, firing, [], announce=announce)
        self._schedule_card(session, group, self.clock())

    def dismiss(
        self,
        group_id: int,
        round: int,
        *,
        actor: str,
        reason: str | None = None,
        request_key: str | None = None,
    ) -> None:
        """Quiet a triage card: its alerts stay quiet until they resolve and fire again."""
        with self.work.begin(request_key) as session:
            group = self._decide(session, group_id, round)
            group.state, group.decided_by = DISMISSED, actor
            group.dismiss_reason = truncate(" ".join((reason or "").split()), 500) or None
            for alert in alerts_of(session, group.id):
                alert.dismissed = alert.status == FIRING
            self._schedule_card(session, group, self.clock())
