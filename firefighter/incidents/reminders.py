"""Which incidents need a nudge now: SQL finds the candidates, pure functions decide.

A decision is written as a `reminders` row, unique per (incident, kind, slot), together with
the outbox effect that delivers it, in one transaction: two workers can never both nudge,
and a restart neither loses nor repeats one. Nothing here talks to Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from firefighter.incidents import effects
from firefighter.incidents.lifecycle import ACTIVE, CLOSED, POSTMORTEM, ClosureReason
from firefighter.incidents.models import Incident, IncidentRole, Reminder
from firefighter.outbox import enqueue
from firefighter.settings import Settings

UPDATE = "update"
ROLES = "roles"
POSTMORTEM_DUE = "postmortem"
FAILURE_CLASS = "failure_class"
FOLLOWUP_DUE = "followup"
"""Follow-up reminders; decided in `firefighter.incidents.followup_reminders`."""
EFFECT_OF = {
    UPDATE: effects.REMIND_UPDATE,
    ROLES: effects.REMIND_ROLES,
    POSTMORTEM_DUE: effects.REMIND_POSTMORTEM,
    FAILURE_CLASS: effects.ASK_FAILURE_CLASS,
    FOLLOWUP_DUE: effects.REMIND_FOLLOWUP,
}
# Nudges sent as direct messages: they do not wait behind the incident's channel effects.
DIRECT = (POSTMORTEM_DUE, FOLLOWUP_DUE)
ONCE = "once"
MAJOR_ROLES = ("communications", "scribe")
# Closures that say the incident was real; duplicates or false positives have no cause to class.
CLASSIFIABLE_CLOSURES = (ClosureReason.RESOLVED.value,)


def is_working_day(at: datetime, zone: ZoneInfo) -> bool:
    """Monday to Friday in `zone`."""
    return at.astimezone(zone).weekday() < 5


def business_days_before(now: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The instant `days` working days (Monday to Friday in `zone`) before `now`.

    Steps back one calendar day at a time and counts only the days it lands on that are
    working days, so "5 business days before Monday 10:00" is the previous Monday 10:00.
    """
    local = now.astimezone(zone)
    counted = 0
    while counted < days:
        local = local - timedelta(days=1)
        if local.weekday() < 5:
            counted += 1
    return local.astimezone(UTC)


def next_update_nudge(
    *,
    last_update_at: datetime,
    last_nudge_at: datetime | None,
    snoozed_until: datetime | None,
    interval: timedelta,
) -> datetime:
    """When the next update nudge is due: one interval after the latest update or nudge,
    and never while snoozed."""
    quiet_since = max(last_update_at, last_nudge_at) if last_nudge_at else last_update_at
    due = quiet_since + interval
    if snoozed_until is not None and snoozed_until > due:
        return snoozed_until
    return due


def postmortem_nudge_allowed(now: datetime, zone: ZoneInfo, workday_start: time) -> bool:
    """Direct messages about overdue post-mortems go out on working days, in working hours."""
    local = now.astimezone(zone)
    return local.weekday() < 5 and local.time() >= workday_start


@dataclass(frozen=True)
class Policy:
    """The rules: intervals per severity, which severities are major, when things are due."""

    update_minutes: dict[str, int]
    major: frozenset[str]
    role_minutes: int = 10
    postmortem_due_days: int = 5
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    workday_start: time = time(9, 0)
    # Incidents declared (or closed) longer ago than this are not nudged about roles (or asked
    # for a failure class): after an outage of the worker, stale nudges are noise.
    lookback: timedelta = timedelta(days=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy configured by the severities and the reminder settings."""
        return cls(
            update_minutes={
                s.name: s.reminder_minutes for s in settings.severities if s.reminder_minutes
            },
            major=frozenset(s.name for s in settings.severities if s.postmortem_required),
            role_minutes=settings.role_reminder_minutes,
            postmortem_due_days=settings.postmortem_due_days,
            zone=settings.zone,
        )


@dataclass(frozen=True)
class Nudge:
    """One nudge decided now: what, about which incident, for whom, and its unique slot."""

    kind: str
    incident_id: int
    slot: str
    recipient: str | None
    payload: dict[str, Any]


def _commander() -> Any:
    return (
        select(IncidentRole.user_id)
        .where(IncidentRole.incident_id == Incident.id, IncidentRole.role == "commander")
        .scalar_subquery()
    )


def _sent(kind: str, slot: str | None = None) -> Any:
    query = select(Reminder.id).where(Reminder.incident_id == Incident.id, Reminder.kind == kind)
    if slot is not None:
        query = query.where(Reminder.slot == slot)
    return exists(query)


def update_nudges(session: Session, policy: Policy, now: datetime) -> list[Nudge]:
    """Active incidents whose commander has said nothing for their severity's interval."""
    if not policy.update_minutes:
        return []
    shortest = timedelta(minutes=min(policy.update_minutes.values()))
    last_nudge = (
        select(func.max(Reminder.created_at))
        .where(Reminder.incident_id == Incident.id, Reminder.kind == UPDATE)
        .scalar_subquery()
    )
    quiet_since = func.coalesce(Incident.last_update_at, Incident.declared_at)
    rows = session.execute(
        select(
            Incident.id,
            Incident.severity,
            Incident.declared_at,
            Incident.last_update_at,
            Incident.reminders_snoozed_until,
            last_nudge.label("last_nudge_at"),
            _commander().label("commander"),
        ).where(
            Incident.status.in_(ACTIVE),
            Incident.severity.in_(list(policy.update_minutes)),
            quiet_since <= now - shortest,
        )
    )
    nudges = []
    for row in rows:
        interval = timedelta(minutes=policy.update_minutes[row.severity])
        last_update = row.last_update_at or row.declared_at
        last_nudge_at = _aware(row.last_nudge_at)
        due = next_update_nudge(
            last_update_at=last_update,
            last_nudge_at=last_nudge_at,
            snoozed_until=row.reminders_snoozed_until,
            interval=interval,
        )
        if due > now:
            continue
        nudges.append(
            Nudge(
                kind=UPDATE,
                incident_id=row.id,
                # The due time identifies the interval: everyone deciding it gets the same slot.
                slot=due.astimezone(UTC).isoformat(timespec="seconds"),
                recipient=row.commander,
                payload={
                    "commander": row.commander,
                    "minutes": policy.update_minutes[row.severity],
                    "last_update_at": last_update.isoformat(),
                },
            )
        )
    return nudges


def _aware(value: Any) -> datetime | None:
    # A scalar subquery loses the column type, so SQLite hands back text or naive times.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def role_nudges(session: Session, policy: Policy, now: datetime) -> list[Nudge]:
    """Major incidents whose communications lead or scribe is still empty after N minutes."""
    if not policy.major:
        return []
    rows = session.execute(
        select(Incident.id, Incident.severity, _commander().label("commander")).where(
            Incident.status.in_(ACTIVE),
            Incident.severity.in_(sorted(policy.major)),
            Incident.declared_at <= now - timedelta(minutes=policy.role_minutes),
            Incident.declared_at > now - policy.lookback,
            ~_sent(ROLES),
        )
    ).all()
    if not rows:
        return []
    held: dict[int, set[str]] = {}
    for incident_id, role in session.execute(
        select(IncidentRole.incident_id, IncidentRole.role).where(
            IncidentRole.incident_id.in_([r.id for r in rows])
        )
    ):
        held.setdefault(incident_id, set()).add(role)
    nudges = []
    for row in rows:
        missing = missing_roles(held.get(row.id, set()))
        if missing:
            nudges.append(
                Nudge(
                    kind=ROLES,
                    incident_id=row.id,
                    slot=ONCE,
                    recipient=row.commander,
                    payload={"commander": row.commander, "missing": missing},
                )
            )
    return nudges


def missing_roles(held: set[str], wanted: Sequence[str] = MAJOR_ROLES) -> list[str]:
    """The roles of `wanted` nobody holds, in order."""
    return [role for role in wanted if role not in held]


def postmortem_nudges(session: Session, policy: Policy, now: datetime) -> list[Nudge]:
    """Commanders of major incidents whose post-mortem is overdue: one message a working day."""
    if not policy.major or not postmortem_nudge_allowed(now, policy.zone, policy.workday_start):
        return []
    day = now.astimezone(policy.zone).date().isoformat()
    cutoff = business_days_before(now, policy.postmortem_due_days, policy.zone)
    commander = _commander()
    rows = session.execute(
        select(Incident.id, Incident.mitigated_at, commander.label("commander")).where(
            Incident.drill == false(),
            Incident.severity.in_(sorted(policy.major)),
            Incident.mitigated_at < cutoff,
            Incident.postmortem_url.is_(None),
            commander.is_not(None),
            ~_sent(POSTMORTEM_DUE, day),
        )
    )
    return [
        Nudge(
            kind=POSTMORTEM_DUE,
            incident_id=row.id,
            slot=day,
            recipient=row.commander,
            payload={
                "user": row.commander,
                "mitigated_at": row.mitigated_at.isoformat(),
                "due_days": policy.postmortem_due_days,
            },
        )
        for row in rows
    ]


def failure_class_prompts(session: Session, policy: Policy, now: datetime) -> list[Nudge]:
    """Incidents whose post-mortem is out, or that just closed, with no failure class yet."""
    rows = session.execute(
        select(Incident.id).where(
            Incident.drill == false(),
            Incident.failure_class.is_(None),
            Incident.channel_id.is_not(None),
            or_(
                and_(Incident.status == POSTMORTEM, Incident.postmortem_url.is_not(None)),
                and_(
                    Incident.status == CLOSED,
                    Incident.closed_at > now - policy.lookback,
                    or_(
                        Incident.closure_reason.is_(None),
                        Incident.closure_reason.in_(CLASSIFIABLE_CLOSURES),
                    ),
                ),
            ),
            ~_sent(FAILURE_CLASS),
        )
    )
    return [
        Nudge(kind=FAILURE_CLASS, incident_id=row.id, slot=ONCE, recipient=None, payload={})
        for row in rows
    ]


def decide(session: Session, policy: Policy, now: datetime) -> list[Nudge]:
    """Every nudge due now and not yet sent."""
    return [
        *update_nudges(session, policy, now),
        *role_nudges(session, policy, now),
        *postmortem_nudges(session, policy, now),
        *failure_class_prompts(session, policy, now),
    ]


def record(session: Session, nudges: Sequence[Nudge], now: datetime) -> list[int]:
    """Write the nudges and their outbox effects in `session`'s transaction; their ids.

    A nudge someone else recorded first makes the flush fail on the unique key, and the
    whole transaction with it: the caller's next run decides again from the new state.
    """
    ids = []
    for nudge in nudges:
        row = Reminder(
            incident_id=nudge.incident_id,
            kind=nudge.kind,
            slot=nudge.slot,
            recipient=nudge.recipient,
            created_at=now,
        )
        session.add(row)
        session.flush()
        in_order = nudge.kind not in DIRECT
        enqueue(
            session,
            EFFECT_OF[nudge.kind],
            {
                **nudge.payload,
                "incident_id": nudge.incident_id,
                "reminder_id": row.id,
                "decided_at": now.isoformat(),
            },
            incident_id=nudge.incident_id if in_order else None,
            now=now,
        )
        ids.append(row.id)
    return ids


def run(session: Session, policy: Policy, now: datetime) -> list[Nudge]:
    """Decide and record, in `session`'s transaction; returns the nudges recorded."""
    nudges = decide(session, policy, now)
    record(session, nudges, now)
    return nudges


def still_due(kind: str, incident: Incident, decided_at: datetime) -> bool:
    """Whether a nudge decided at `decided_at` still makes sense when it is delivered.

    The outbox may deliver minutes later (Slack down, worker busy); by then someone may have
    posted an update, mitigated, snoozed, published the post-mortem or classed the failure.
    """
    if kind == UPDATE:
        if incident.status not in ACTIVE:
            return False
        if incident.last_update_at is not None and incident.last_update_at > decided_at:
            return False
        snoozed = incident.reminders_snoozed_until
        return snoozed is None or snoozed <= decided_at
    if kind == ROLES:
        held = {role.role for role in incident.roles}
        return incident.status in ACTIVE and bool(missing_roles(held))
    if kind == POSTMORTEM_DUE:
        return incident.postmortem_url is None and incident.mitigated_at is not None
    if kind == FAILURE_CLASS:
        return incident.failure_class is None
    return False
