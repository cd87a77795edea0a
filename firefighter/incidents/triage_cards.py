"""The triage card of an alert group (and a source's storm card): when it is drawn, what it
shows, and what its drawing changed. A card is redrawn at most every `card_seconds`, one
queued draw per group at a time, each drawing the state as it is then."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firefighter.incidents import effects
from firefighter.incidents.alert_models import (
    FIRING,
    RESOLVED,
    Alert,
    AlertGroup,
    AlertStorm,
)
from firefighter.incidents.alert_storms import (
    StormState,
    storm_state,
)
from firefighter.incidents.alert_types import (
    CardState,
)
from firefighter.incidents.errors import NotFound
from firefighter.incidents.models import Incident
from firefighter.incidents.service import IncidentService
from firefighter.incidents.unit_of_work import UnitOfWork
from firefighter.outbox import enqueue


class TriageCards:
    """The card half of `AlertService` (which sets these attributes)."""

    incidents: IncidentService
    work: UnitOfWork
    card_seconds: float
    storm_cards: int

    def _schedule_card(self, session: Session, group: AlertGroup, now: datetime) -> None:
        if group.storm_id is not None:
            self._schedule_storm(session, group.storm_id, now)
            return
        group.changes += 1
        if group.pending:
            return
        group.pending = True
        self._enqueue_card(session, group, now)

    def _enqueue_card(self, session: Session, group: AlertGroup, now: datetime) -> None:
        due = now
        if group.drawn_at is not None:
            due = max(now, group.drawn_at + timedelta(seconds=self.card_seconds))
        item = enqueue(session, effects.ALERT_CARD, {"group_id": group.id}, now=now)
        item.next_attempt_at = due

    def _schedule_storm(self, session: Session, storm_id: int, now: datetime) -> None:
        storm = session.get(AlertStorm, storm_id, with_for_update=True)
        if storm is None:
            return
        storm.changes += 1
        if storm.pending:
            return
        storm.pending = True
        self._enqueue_storm(session, storm, now)

    def _enqueue_storm(self, session: Session, storm: AlertStorm, now: datetime) -> None:
        due = now
        if storm.drawn_at is not None:
            due = max(now, storm.drawn_at + timedelta(seconds=self.card_seconds))
        item = enqueue(session, effects.ALERT_CARD, {"storm_id": storm.id}, now=now)
        item.next_attempt_at = due

    def storm_state(self, storm_id: int) -> StormState:
        """The source's storm card as it should look now; NotFound if it vanished."""
        return storm_state(self.incidents.factory, storm_id, self.storm_cards)

    def storm_drawn(
        self,
        session: Session,
        storm_id: int,
        *,
        round: int,
        changes: int,
        channel: str | None,
        ts: str | None,
    ) -> None:
        """The storm card now shows `changes`; queue the next draw if more arrived meanwhile.

        Written in the caller's transaction: the dispatcher's, marking the draw delivered.
        """
        now = self.incidents.clock()
        storm = session.get(AlertStorm, storm_id, with_for_update=True)
        if storm is None:
            return
        if storm.round == round and ts is not None:
            storm.card_channel, storm.card_ts = channel, ts
        storm.drawn = max(storm.drawn, changes)
        storm.drawn_at = now
        if storm.changes > storm.drawn:
            self._enqueue_storm(session, storm, now)
        else:
            storm.pending = False

    def group_of_alert(self, alert_id: int) -> tuple[int, int]:
        """(group id, round) of the alert `alert_id`, for the command line; NotFound if none."""
        with self.incidents.factory() as session:
            row = session.execute(
                select(AlertGroup.id, AlertGroup.round)
                .join(Alert, Alert.group_id == AlertGroup.id)
                .where(Alert.id == alert_id)
            ).one_or_none()
        if row is None:
            raise NotFound(f"There is no alert {alert_id}; `firefighter alerts list` lists them.")
        return int(row[0]), int(row[1])

    def card_state(self, group_id: int) -> CardState:
        """The group as its card should show it now; NotFound if it vanished."""
        with self.incidents.factory() as session:
            group = session.get(AlertGroup, group_id)
            if group is None:
                raise NotFound("That alert group no longer exists.")
            firing, resolved, count, first, last, started = session.execute(
                select(
                    func.count().filter(Alert.status == FIRING),
                    func.count().filter(Alert.status == RESOLVED),
                    func.coalesce(func.sum(Alert.count), 0),
                    func.min(Alert.first_seen),
                    func.max(Alert.last_seen),
                    func.min(Alert.started_at),
                ).where(Alert.group_id == group_id)
            ).one()
            incident = session.get(Incident, group.incident_id) if group.incident_id else None
            return CardState(
                group_id=group.id,
                source=group.source,
                title=group.title,
                labels=dict(group.labels or {}),
                link=group.link,
                state=group.state,
                round=group.round,
                card_channel=group.card_channel,
                card_ts=group.card_ts,
                changes=group.changes,
                firing=int(firing or 0),
                resolved=int(resolved or 0),
                count=int(count or 0),
                first_seen=first or group.created_at,
                last_seen=last or group.updated_at,
                started_at=started or group.created_at,
                incident_id=group.incident_id,
                incident_reference=incident.reference if incident else None,
                incident_channel=incident.channel_id if incident else None,
                decided_by=group.decided_by,
                dismiss_reason=group.dismiss_reason,
            )

    def card_drawn(
        self,
        session: Session,
        group_id: int,
        *,
        round: int,
        changes: int,
        channel: str | None,
        ts: str | None,
    ) -> None:
        """The card now shows `changes`; queue the next draw if more arrived meanwhile.

        Written in the caller's transaction: the dispatcher's, marking the draw delivered.
        """
        now = self.incidents.clock()
        group = session.get(AlertGroup, group_id, with_for_update=True)
        if group is None:
            return
        if group.round == round and ts is not None:
            group.card_channel, group.card_ts = channel, ts
        group.drawn = max(group.drawn, changes)
        group.drawn_at = now
        if group.changes > group.drawn:
            self._enqueue_card(session, group, now)
        else:
            group.pending = False
