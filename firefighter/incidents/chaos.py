"""Chaos experiments in the core: record their results, freeze them, and the gate.

The gate answers whether an experiment may run against a component now: not while a real
(non-drill) incident touching it is active (open, investigating or mitigating), nor while a
freeze covers it. It reads two small indexed tables and nothing else, so it answers fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from firefighter.incidents import lifecycle
from firefighter.incidents.access import Forbidden
from firefighter.incidents.authorization import freeze_refusal, may_freeze
from firefighter.incidents.chaos_models import ChaosFreeze, ChaosResult
from firefighter.incidents.errors import InvalidInput
from firefighter.incidents.models import Incident, IncidentRole
from firefighter.incidents.service import IncidentService

ANY = "*"
"""A freeze of every component."""

VERDICTS = ("pass", "fail", "stopped")


@dataclass(frozen=True)
class ChaosRecord:
    """One finished experiment run, as an intake parsed it."""

    source: str
    run_key: str
    experiment: str
    component: str
    weight: int
    verdict: str
    probe_success: float
    at: datetime


@dataclass(frozen=True)
class Recorded:
    """What an intake stored: new results, and the drills failed ones declared."""

    recorded: int
    duplicates: int
    drills: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        """The 202 answer: `recorded` as DESIGN pins it, and what else happened."""
        return {
            "recorded": self.recorded,
            "duplicates": self.duplicates,
            "drills": list(self.drills),
        }


@dataclass(frozen=True)
class GateAnswer:
    """Whether experiments may run against a component now, and if not why."""

    safe: bool
    reason: str | None = None
    incident: str | None = None

    def as_json(self) -> dict[str, object]:
        """`{"safe": true}` or `{"safe": false, "reason", "incident"?}`."""
        if self.safe:
            return {"safe": True}
        body: dict[str, object] = {"safe": False, "reason": self.reason}
        if self.incident:
            body["incident"] = self.incident
        return body


_RELATIVE = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?")


def parse_until(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """`2h`, `1d`, `90m`, `2026-12-08` or `2026-12-08T18:00` (in `zone`); empty means no end."""
    value = (text or "").strip().lower()
    if not value:
        return None
    match = _RELATIVE.fullmatch(value)
    if match and any(match.groupdict().values()):
        days, hours, minutes = (int(match.group(k) or 0) for k in ("d", "h", "m"))
        return now + timedelta(days=days, hours=hours, minutes=minutes)
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not an end for the freeze: give a duration such as 2h or 1d, "
            "or a date such as 2026-12-24 (or 2026-12-24T18:00)."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if len(value) == 10:  # a date alone: the freeze lasts through that day
        moment += timedelta(days=1)
    if moment <= now:
        raise InvalidInput(f"{text} is already past; give a later end for the freeze.")
    return moment


class ChaosService:
    """Chaos results, freezes and the gate, each command one transaction."""

    def __init__(self, service: IncidentService, *, admins: Sequence[str] = ()) -> None:
        self.service = service
        self.factory = service.factory
        self.clock = service.clock
        self.admins = list(admins)

    # ---- results ---------------------------------------------------------------------

    def record(
        self,
        records: Sequence[ChaosRecord],
        *,
        gameday_for: Callable[[str], int | None] = lambda _component: None,
        drill_severity: str | None = None,
    ) -> Recorded:
        """Store new results (a run already stored is skipped); a failure may declare a drill.

        `gameday_for(component)` names a running Game Day playing that component (read before
        the transaction opens).
        """
        now = self.clock()
        gamedays = {r.component: gameday_for(r.component) for r in records}
        stored = duplicates = 0
        drills: list[str] = []
        with self.service.work.begin(None) as session:
            seen: set[str] = set()
            known = set(
                session.scalars(
                    select(ChaosResult.run_key).where(
                        ChaosResult.run_key.in_([r.run_key for r in records])
                    )
                )
            )
            for record in records:
                if record.run_key in known or record.run_key in seen:
                    duplicates += 1
                    continue
                seen.add(record.run_key)
                row = ChaosResult(
                    run_key=record.run_key,
                    source=record.source,
                    experiment=record.experiment,
                    component=record.component,
                    weight=record.weight,
                    verdict=record.verdict,
                    probe_success=record.probe_success,
                    at=record.at,
                    received_at=now,
                    gameday_id=gamedays.get(record.component),
                )
                session.add(row)
                stored += 1
                if record.verdict == "fail" and drill_severity:
                    drill = self.service.declare(
                        title=f"Chaos experiment {record.experiment} failed on {record.component}",
                        severity=drill_severity,
                        actor=None,
                        description=(
                            f"The {record.source} experiment {record.experiment} failed against "
                            f"{record.component}: probe success {record.probe_success:g}%."
                        ),
                        component=record.component,
                        drill=True,
                        within=session,
                    )
                    row.incident_id = drill.id
                    drills.append(drill.reference)
            session.flush()
        return Recorded(stored, duplicates, tuple(drills))

    # ---- the gate --------------------------------------------------------------------

    def gate(self, component: str) -> GateAnswer:
        """Safe unless a real active incident touches `component` or a freeze covers it."""
        now = self.clock()
        with self.factory() as session:
            incident = session.execute(
                select(Incident.id, Incident.title)
                .where(
                    Incident.status.in_(lifecycle.ACTIVE),
                    Incident.drill.is_(False),
                    Incident.component == component,
                )
                .order_by(Incident.declared_at)
                .limit(1)
            ).first()
            if incident is not None:
                return GateAnswer(
                    False,
                    f"INC-{incident.id} ({incident.title}) is active on {component}",
                    f"INC-{incident.id}",
                )
            freeze = session.scalar(self._frozen(component, now).limit(1))
        if freeze is not None:
            end = f" until {freeze.until.isoformat()}" if freeze.until else " until lifted"
            what = "every component" if freeze.component == ANY else component
            return GateAnswer(False, f"chaos experiments are frozen on {what}{end}")
        return GateAnswer(True)

    @staticmethod
    def _frozen(component: str, now: datetime) -> Select[ChaosFreeze]:  # type: ignore[type-var]
        return (
            select(ChaosFreeze)
            .where(
                ChaosFreeze.component.in_([component, ANY]),
                ChaosFreeze.lifted_at.is_(None),
                or_(ChaosFreeze.until.is_(None), ChaosFreeze.until > now),
            )
            .order_by(ChaosFreeze.id)
        )

    # ---- freezes ---------------------------------------------------------------------

    def _role_holders(self, session: Session) -> set[str]:
        rows = session.scalars(
            select(IncidentRole.user_id)
            .join(Incident, Incident.id == IncidentRole.incident_id)
            .where(Incident.status.in_(lifecycle.ACTIVE), Incident.drill.is_(False))
        )
        return set(rows)

    def _check(self, session: Session, actor: str | None, what: str) -> None:
        # The authorisation table's FREEZE row (role holders of an active real incident, and
        # admins, user groups included); `what` says whether it was a freeze or a lift.
        holds = actor is not None and actor in self._role_holders(session)
        admin = self.service.policy.is_admin(actor)
        if may_freeze(actor, admin=admin, holds_a_role_in_a_real_incident=holds):
            return
        raise Forbidden(*freeze_refusal(self.admins, f"{what} chaos experiments"))

    def freeze(self, component: str | None, until: datetime | None, *, actor: str | None) -> str:
        """Freeze experiments on `component` (every one when None); the confirmation."""
        target = (component or "").strip() or ANY
        if len(target) > 64:
            raise InvalidInput("A component name is at most 64 characters.")
        now = self.clock()
        with self.service.work.begin(None) as session:
            self._check(session, actor, "freeze")
            session.add(ChaosFreeze(component=target, until=until, set_by=actor, set_at=now))
        what = "every component" if target == ANY else target
        end = f" until {until.isoformat(timespec='minutes')}" if until else " until lifted"
        return f"Chaos experiments are frozen on {what}{end}; the gate answers 503 meanwhile."

    def lift(self, component: str | None, *, actor: str | None) -> str:
        """Lift the freezes of `component` (or the every-component one); the confirmation."""
        target = (component or "").strip() or ANY
        now = self.clock()
        with self.service.work.begin(None) as session:
            self._check(session, actor, "lift a freeze of")
            lifted = session.execute(
                update(ChaosFreeze)
                .where(ChaosFreeze.component == target, ChaosFreeze.lifted_at.is_(None))
                .values(lifted_at=now, lifted_by=actor)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
        what = "every component" if target == ANY else target
        if not lifted:
            return f"No freeze was set on {what}."
        return f"The freeze on {what} is lifted."
