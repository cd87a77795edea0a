"""Follow-ups in the core: add, close, reopen, snooze, and the Jira facts adapters report.

Each command is one transaction through the incident service's unit of work: the follow-up
row changes, a `followup` event joins the timeline, the card is redrawn (it counts them) and,
when Jira is configured, the effect that keeps the Jira issue in step is enqueued.
Nothing here talks to Slack or Jira.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from firefighter.incidents import effects
from firefighter.incidents.authorization import Action
from firefighter.incidents.errors import InvalidInput, NotFound
from firefighter.incidents.followup_models import DONE, FOLLOWUP_TITLE_MAX, OPEN, FollowUp
from firefighter.incidents.followup_queries import counts, followup_json, list_followups
from firefighter.incidents.lifecycle import CLOSED
from firefighter.incidents.models import Incident
from firefighter.incidents.rules import clean
from firefighter.incidents.service import IncidentService
from firefighter.incidents.wording import Person, Words, event_record

__all__ = [
    "DONE",
    "OPEN",
    "FollowUp",
    "FollowUpService",
    "counts",
    "followup_json",
    "list_followups",
]

SNOOZE_DAYS = 7
KIND = "followup"
"""The timeline kind of every follow-up change (DESIGN)."""


class FollowUpService:
    """Commands on follow-ups, each one transaction."""

    def __init__(
        self, incidents: IncidentService, *, zone: ZoneInfo | None = None, jira: bool = False
    ) -> None:
        self.incidents = incidents
        self.work = incidents.work
        self.zone = zone or ZoneInfo("UTC")
        self.jira = jira

    def today(self) -> date:
        """Today in the configured zone: due dates are days there."""
        return self.incidents.clock().astimezone(self.zone).date()

    # ---- commands ------------------------------------------------------------------

    def add(
        self,
        incident_id: int,
        title: str,
        *,
        actor: str | None,
        owner: str | None = None,
        due: date | None = None,
        request_key: str | None = None,
    ) -> FollowUp:
        """Add a follow-up; InvalidInput for an empty or long title or a due date passed."""
        value = clean(title).strip()
        if not value:
            raise InvalidInput(
                "Say what needs doing: `followup Add a retry to the payment client "
                "@owner due 2026-04-30`.",
                field="title",
            )
        if len(value) > FOLLOWUP_TITLE_MAX:
            raise InvalidInput(
                f"The follow-up is {len(value)} characters; keep it under {FOLLOWUP_TITLE_MAX}.",
                field="title",
            )
        if due is not None and due < self.today():
            raise InvalidInput(
                f"{due.isoformat()} is in the past; give a due date from today on, as "
                "`due YYYY-MM-DD`.",
                field="due",
            )
        admin = self.incidents.policy.is_admin(actor)
        with self.work.begin(request_key) as session:
            incident = self.work.load(session, incident_id, None)
            self.incidents.check(session, incident, Action.ADD_FOLLOWUP, actor, admin)
            followup = FollowUp(
                incident_id=incident.id,
                title=value,
                owner=owner,
                due=due,
                status=OPEN,
                created_by=actor,
                created_at=self.work.clock(),
            )
            session.add(followup)
            session.flush()
            self._record(session, incident, followup, "added", actor)
            if self.jira:
                create = effects.FollowUpJiraCreate(incident.id, followup.id)
                self.work.enqueue(session, create, incident)
            session.expunge(followup)
            return followup

    def close(
        self,
        followup_id: int,
        *,
        actor: str | None,
        from_jira: bool = False,
        request_key: str | None = None,
    ) -> FollowUp:
        """Mark done (a second time changes nothing); Slack's done transitions the issue."""
        return self._set_status(followup_id, DONE, actor, from_jira, request_key)

    def reopen(
        self,
        followup_id: int,
        *,
        actor: str | None,
        from_jira: bool = False,
        request_key: str | None = None,
    ) -> FollowUp:
        """Mark open again (a reopened Jira issue does this)."""
        return self._set_status(followup_id, OPEN, actor, from_jira, request_key)

    def _set_status(
        self,
        followup_id: int,
        status: str,
        actor: str | None,
        from_jira: bool,
        request_key: str | None,
    ) -> FollowUp:
        admin = self.incidents.policy.is_admin(actor)
        with self.work.begin(request_key) as session:
            followup = self._get(session, followup_id, lock=True)
            if not from_jira:
                owner = self.work.load(session, followup.incident_id, None)
                self.incidents.check(session, owner, Action.ADD_FOLLOWUP, actor, admin)
            if followup.status != status:
                incident = self.work.load(session, followup.incident_id, None)
                followup.status = status
                done = status == DONE
                followup.closed_at = self.work.clock() if done else None
                followup.closed_by = actor if done else None
                verb = "done" if done else "reopened"
                if from_jira:
                    verb += f" in Jira ({followup.jira_key})"
                self._record(session, incident, followup, verb, actor)
                if done and not from_jira and self.jira and followup.jira_key:
                    finish = effects.FollowUpJiraDone(incident.id, followup.id)
                    self.work.enqueue(session, finish, incident)
            session.flush()
            session.expunge(followup)
            return followup

    def snooze(self, followup_id: int, *, actor: str | None) -> FollowUp:
        """No reminder for a week from today."""
        with self.work.begin() as session:
            followup = self._get(session, followup_id, lock=True)
            followup.snoozed_until = self.today() + timedelta(days=SNOOZE_DAYS)
            session.flush()
            session.expunge(followup)
            return followup

    # ---- facts the Jira adapter reports ---------------------------------------------

    def record_jira(self, followup_id: int, key: str, url: str) -> None:
        """Remember the follow-up's Jira issue (once: the first key recorded stays)."""
        with self.work.begin() as session:
            self.jira_linked(session, followup_id, key, url)

    def jira_linked(self, session: Session, followup_id: int, key: str, url: str) -> None:
        """`record_jira` in the caller's transaction (the dispatcher's: see outcomes)."""
        followup = self._get(session, followup_id, lock=True)
        if followup.jira_key is not None:
            return
        incident = self.work.load(session, followup.incident_id, None)
        followup.jira_key, followup.jira_url = key, url
        self.work.record(
            session,
            incident,
            KIND,
            None,
            f"Follow-up “{followup.title}” is tracked in Jira as {key}",
            {"followup_id": followup.id, "jira_key": key, "url": url},
            redraw=None,
            touch=False,
            announce=False,
        )

    def sync_from_jira(self, key: str, done: bool) -> FollowUp | None:
        """Follow the Jira issue `key`'s status category; None when no follow-up has it."""
        with self.incidents.factory() as session:
            found = session.scalars(select(FollowUp.id).where(FollowUp.jira_key == key)).first()
        if found is None:
            return None
        if done:
            return self.close(found, actor=None, from_jira=True)
        return self.reopen(found, actor=None, from_jira=True)

    # ---- helpers ---------------------------------------------------------------------

    def get(self, followup_id: int) -> FollowUp:
        """The follow-up, or NotFound."""
        with self.incidents.factory() as session:
            followup = self._get(session, followup_id)
            session.expunge(followup)
            return followup

    @staticmethod
    def _get(session: Session, followup_id: int, *, lock: bool = False) -> FollowUp:
        query = select(FollowUp).where(FollowUp.id == followup_id)
        found = session.scalars(query.with_for_update() if lock else query).first()
        if found is None:
            raise NotFound(f"There is no follow-up #{followup_id}.")
        return found

    def _record(
        self,
        session: Session,
        incident: Incident,
        followup: FollowUp,
        verb: str,
        actor: str | None,
    ) -> None:
        details: list[Words] = []
        if verb == "added":
            if followup.owner:
                details.append(("owner ", Person(followup.owner)))
            if followup.due:
                details.append((f"due {followup.due.isoformat()}",))
        suffix: Words = ()
        for detail in details:
            suffix += (", " if suffix else " (", *detail)
        text, data = event_record(
            (f"Follow-up #{followup.id} {verb}: {followup.title}", *suffix, ")" if suffix else ""),
            {"followup_id": followup.id, "status": followup.status},
        )
        self.work.record(
            session,
            incident,
            KIND,
            actor,
            text,
            data,
            redraw="followups",
            # A closed incident's follow-ups are still done later: no post in an archived
            # channel, and no version bump that would fail a closed incident's card.
            announce=incident.status != CLOSED,
        )
