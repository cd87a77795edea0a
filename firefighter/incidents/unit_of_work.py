"""How a command writes: one transaction, the incident checked, the change recorded once.

`begin` makes a request idempotent and turns a lost race into Conflict; `load` refuses to
act on an incident that moved since the user looked at it; `record` writes what every
change leaves behind (timeline event, version bump, channel post, redraw).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from firefighter.db import utcnow, writing
from firefighter.faults import INCIDENT_LOADED, NO_FAULTS, Faults
from firefighter.incidents import effects
from firefighter.incidents.errors import AlreadyProcessed, Conflict, NotFound
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.outbox import enqueue
from firefighter.outbox.effect_types import Effect
from firefighter.outbox.models import OutboxItem, ProcessedRequest, ledger_key

Clock = Callable[[], datetime]
Listener = Callable[[Session, Incident, TimelineEvent], None]
"""Told of every timeline event in its transaction (outbound webhooks enqueue from here)."""


def write_unversioned(session: Session, incident_id: int, **values: Any) -> None:
    """Set columns of an incident without bumping its version: facts, not user changes."""
    # A bulk UPDATE leaves any loaded object clean, and only ORM flushes of a changed
    # object move the version counter.
    session.execute(
        update(Incident)
        .where(Incident.id == incident_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


class UnitOfWork:
    """Transactions for the commands, and the bookkeeping each change shares."""

    def __init__(
        self, factory: sessionmaker[Session], clock: Clock = utcnow, faults: Faults = NO_FAULTS
    ) -> None:
        self.factory = factory
        self.clock = clock
        self.faults = faults
        self.listeners: list[Listener] = []

    @contextmanager
    def begin(self, request_key: str | None = None) -> Iterator[Session]:
        """One transaction; with `request_key`, a second request with that key does nothing.

        Raises AlreadyProcessed for a repeated key, Conflict when a concurrent writer
        changed the incident first.
        """
        try:
            with self.factory() as session, writing(session), session.begin():
                if request_key is not None:
                    session.add(
                        ProcessedRequest(key=ledger_key(request_key), created_at=self.clock())
                    )
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

    @contextmanager
    def join(self, session: Session | None, request_key: str | None = None) -> Iterator[Session]:
        """The caller's transaction when it has one (an alert declaring), else `begin`."""
        if session is not None:
            yield session
            return
        with self.begin(request_key) as own:
            yield own

    def load(
        self,
        session: Session,
        incident_id: int,
        expected_version: int | None,
        expected_status: str | None = None,
    ) -> Incident:
        """The incident, or NotFound; Conflict if it is not the version or status expected."""
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"There is no incident INC-{incident_id}.")
        # Read, not yet written: where two writers of one version meet.
        self.faults.reach(INCIDENT_LOADED, str(incident_id))
        stale_version = expected_version is not None and incident.version != expected_version
        stale_status = expected_status is not None and incident.status != expected_status
        if stale_version or stale_status:
            raise Conflict(
                f"{incident.reference} changed since you looked at it: it is now "
                f"{incident.status} ({incident.severity}). Nothing was changed."
            )
        return incident

    def record(
        self,
        session: Session,
        incident: Incident,
        kind: str,
        actor: str | None,
        text: str,
        data: dict[str, Any] | None = None,
        *,
        redraw: str | None,
        touch: bool = True,
        announce: bool = True,
    ) -> TimelineEvent:
        """Append a timeline event and what follows from it, in this order:

        `touch` bumps the incident's version, `announce` posts the event in the channel,
        `redraw` (naming what changed) redraws the card, announcement and topic.
        """
        if touch:
            self.touch(incident)
        event = TimelineEvent(
            incident_id=incident.id,
            at=self.clock(),
            kind=kind,
            actor=actor,
            text=text,
            data=data or {},
        )
        session.add(event)
        for listener in self.listeners:
            listener(session, incident, event)
        if announce:
            self.announce(session, incident, event)
        if redraw is not None:
            self.redraw(session, incident, redraw)
        return event

    def touch(self, incident: Incident) -> None:
        """Mark the incident changed now."""
        # Always writing updated_at makes every command an UPDATE of the incident row,
        # so every command bumps the version and takes part in optimistic locking.
        incident.updated_at = self.clock()

    def announce(self, session: Session, incident: Incident, event: TimelineEvent) -> None:
        """Post `event` in the incident channel once the transaction commits."""
        session.flush()  # the post names the event by id
        self.enqueue(session, effects.PostEvent(incident.id, event.id), incident)

    def redraw(self, session: Session, incident: Incident, what: str) -> None:
        """Redraw what shows the incident's state, because `what` changed."""
        self.enqueue(session, effects.Refresh(incident.id, what), incident)

    def enqueue(
        self,
        session: Session,
        effect: Effect | str,
        incident: Incident,
        payload: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> OutboxItem:
        """Enqueue `effect` (typed, or a kind with `payload`) about `incident`, in its lane."""
        return enqueue(
            session,
            effect,
            {"incident_id": incident.id, **(payload or {})},
            incident_id=incident.id,
            now=now or self.clock(),
        )
