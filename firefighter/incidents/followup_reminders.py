"""Which follow-ups need a reminder now; recorded like every other nudge.

- An owner is reminded on the due date, then once per working day while it is overdue, until
  the follow-up is done; "Snooze a week" stops that until the day it names.
- A follow-up nobody owns is the commander's: one reminder a day after the post-mortem is
  published, so that someone takes it.

Reminders are direct messages, so they go out on working days in working hours (Monday to
Friday from the policy's `workday_start`, in the configured zone); a due date on a Saturday is
first reminded on the Monday. Drills' follow-ups are not reminded: they are practice.

Each decision is a `reminders` row whose unique slot names the follow-up and the day (or
`unowned`), written with its outbox effect by `reminders.record`: two workers never send the
same reminder twice. Nothing here talks to Slack.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, exists, false, func, or_, select
from sqlalchemy.orm import Session

from firefighter.incidents.followup_models import OPEN, FollowUp
from firefighter.incidents.models import Incident, IncidentRole, Reminder, TimelineEvent
from firefighter.incidents.reminders import (
    FOLLOWUP_DUE,
    Nudge,
    Policy,
    postmortem_nudge_allowed,
    record,
)

DUE = "due"
OVERDUE = "overdue"
UNOWNED = "unowned"
PUBLISHED_KIND = "postmortem_published"
UNOWNED_DELAY = timedelta(days=1)


def _slot(followup_id: int, when: str) -> str:
    return f"{followup_id}:{when}"


def _slot_sql(when: str) -> Any:
    # The same text as `_slot`, in SQL (`||` on both databases), to skip those already sent.
    return cast(FollowUp.id, String) + f":{when}"


def _not_sent(slot: Any) -> Any:
    return ~exists(
        select(Reminder.id).where(
            Reminder.incident_id == FollowUp.incident_id,
            Reminder.kind == FOLLOWUP_DUE,
            Reminder.slot == slot,
        )
    )


def _live(today: date) -> tuple[Any, ...]:
    """Open follow-ups of real incidents, not snoozed past `today`."""
    return (
        FollowUp.status == OPEN,
        Incident.drill == false(),
        or_(FollowUp.snoozed_until.is_(None), FollowUp.snoozed_until <= today),
    )


def owner_nudges(session: Session, today: date) -> list[Nudge]:
    """Owners whose follow-up is due today or overdue, not yet reminded today."""
    rows = session.execute(
        select(FollowUp.id, FollowUp.incident_id, FollowUp.owner, FollowUp.due)
        .join(Incident, Incident.id == FollowUp.incident_id)
        .where(
            *_live(today),
            FollowUp.owner.is_not(None),
            FollowUp.due <= today,
            _not_sent(_slot_sql(today.isoformat())),
        )
        .order_by(FollowUp.id)
    )
    return [
        Nudge(
            kind=FOLLOWUP_DUE,
            incident_id=row.incident_id,
            slot=_slot(row.id, today.isoformat()),
            recipient=row.owner,
            payload={
                "followup_id": row.id,
                "recipient": row.owner,
                "reason": DUE if row.due == today else OVERDUE,
                "day": today.isoformat(),
            },
        )
        for row in rows
    ]


def unowned_nudges(session: Session, today: date, now: datetime) -> list[Nudge]:
    """Commanders of incidents published a day ago or more, for each follow-up nobody owns."""
    published = (
        select(func.min(TimelineEvent.at))
        .where(TimelineEvent.incident_id == Incident.id, TimelineEvent.kind == PUBLISHED_KIND)
        .scalar_subquery()
    )
    commander = (
        select(IncidentRole.user_id)
        .where(IncidentRole.incident_id == Incident.id, IncidentRole.role == "commander")
        .scalar_subquery()
    )
    rows = session.execute(
        select(FollowUp.id, FollowUp.incident_id, commander.label("commander"))
        .join(Incident, Incident.id == FollowUp.incident_id)
        .where(
            *_live(today),
            FollowUp.owner.is_(None),
            Incident.postmortem_url.is_not(None),
            published <= now - UNOWNED_DELAY,
            commander.is_not(None),
            _not_sent(_slot_sql(UNOWNED)),
        )
        .order_by(FollowUp.id)
    )
    return [
        Nudge(
            kind=FOLLOWUP_DUE,
            incident_id=row.incident_id,
            slot=_slot(row.id, UNOWNED),
            recipient=row.commander,
            payload={
                "followup_id": row.id,
                "recipient": row.commander,
                "reason": UNOWNED,
                "day": today.isoformat(),
            },
        )
        for row in rows
    ]


def decide(session: Session, policy: Policy, now: datetime) -> list[Nudge]:
    """Every follow-up reminder due now and not yet sent."""
    if not postmortem_nudge_allowed(now, policy.zone, policy.workday_start):
        return []
    today = now.astimezone(policy.zone).date()
    return [*owner_nudges(session, today), *unowned_nudges(session, today, now)]


def run(session: Session, policy: Policy, now: datetime) -> list[Nudge]:
    """Decide and record, in `session`'s transaction; returns the reminders recorded."""
    nudges = decide(session, policy, now)
    record(session, nudges, now)
    return nudges


def still_due(followup: FollowUp, recipient: str, today: date) -> bool:
    """Whether a reminder decided earlier still makes sense when it is delivered.

    By then the follow-up may be done, snoozed, or given to someone else.
    """
    if not followup.is_open:
        return False
    if followup.snoozed_until is not None and followup.snoozed_until > today:
        return False
    return followup.owner is None or followup.owner == recipient
