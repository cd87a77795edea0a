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
        self._enqueue_draw(session, group, {"group_id": group.id}, now)

    def _enqueue_draw(
        self,
        session: Session,
        card: AlertGroup | AlertStorm,
        payload: dict[str, int],
        now: datetime,
    ) -> None:
        """Queue a draw of `card`, never sooner than `card_seconds` after its last one."""
        due = now
        if card.drawn_at is not None:
            due = max(now, card.drawn_at + timedelta(seconds=self.card_seconds))
        item = enqueue(session, effects.ALERT_CARD, payload, now=now)
        item.next_attempt_at = due

    def _drawn(
        self,
        session: Session,
        card: AlertGroup | AlertStorm,
        payload: dict[str, int],
        *,
        round: int,
        changes: int,
        channel: str | None,
        ts: str | None,
    ) -> None:
        """`card` now shows `changes`; queue the next draw if more arrived meanwhile."""
        now = self.incidents.clock()
        if card.round == round and ts is not None:
            card.card_channel, card.card_ts = channel, ts
        card.drawn = max(card.drawn, changes)
        card.drawn_at = now
        if card.changes > card.drawn:
            self._enqueue_draw(session, card, payload, now)
        else:
            card.pending = False

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
        self._enqueue_draw(session, storm, {"storm_id": storm.id}, now)

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
        storm = session.get(AlertStorm, storm_id, with_for_update=True)
        if storm is not None:
            self._drawn(
                session,
                storm,
                {"storm_id": storm.id},
                round=round,
                changes=changes,
                channel=channel,
                ts=ts,
            )

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
        group = session.get(AlertGroup, group_id, with_for_update=True)
        if group is not None:
            self._drawn(
                session,
                group,
                {"group_id": group.id},
                round=round,
                changes=changes,
                channel=channel,
                ts=ts,
            )
