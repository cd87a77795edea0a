"""Outbox handlers: one Jira issue per follow-up, exactly once; done in Slack → done in Jira.

Creating is not idempotent in Jira, so before creating, the handler looks for an issue with
the incident's label whose description carries the follow-up's marker: a worker that died
after Jira created the issue but before the key was recorded adopts that issue on retry,
as post-mortem pages are adopted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from firefighter.incidents import effects
from firefighter.incidents.delivery_views import incident_summary, read_followup
from firefighter.incidents.followups import FollowUpService
from firefighter.incidents.outcomes import JiraIssueLinked, Notice
from firefighter.jira.client import (
    DONE,
    category,
    find_account,
    make_client,
    permanent_refusals,
    refusal_status,
    search,
    status_name,
)
from firefighter.jira.sync import poll
from firefighter.outbox import Dispatcher, Message
from firefighter.settings import Settings

log = logging.getLogger(__name__)

EmailOf = Callable[[str], str | None]


def label(incident_id: int) -> str:
    """The label every issue of an incident carries."""
    return f"incident-{incident_id}"


def marker(followup_id: int) -> str:
    """The text in an issue's description that names its follow-up."""
    return f"[firefighter-followup-{followup_id}]"


class JiraFollowUps:
    """Keeps each follow-up's Jira issue in step with it."""

    def __init__(
        self,
        settings: Settings,
        followups: FollowUpService,
        *,
        email_of: EmailOf | None = None,
        client: Any = None,
    ) -> None:
        self.settings = settings
        self.followups = followups
        self.email_of = email_of
        self.client = client if client is not None else make_client(settings)
        self.base = (settings.jira_url or "").rstrip("/")
        # Handed to the core's read functions; this adapter never opens a session itself.
        self.factory = followups.incidents.factory

    def register(self, dispatcher: Dispatcher) -> None:
        """Handle the follow-up effects."""
        dispatcher.register(effects.FOLLOWUP_JIRA_CREATE, self.create)
        dispatcher.register(effects.FOLLOWUP_JIRA_DONE, self.done)
        dispatcher.register(effects.FOLLOWUP_JIRA_POLL, self.poll)

    def poll(self, message: Message) -> None:
        """Follow the open follow-ups' issues that Jira says are done."""
        changed = poll(self.followups, self.client)
        if changed:
            log.info("jira poll: %d follow-up(s) done in Jira", changed)

    def browse(self, key: str) -> str:
        """The issue's page."""
        return f"{self.base}/browse/{key}"

    def create(self, message: Message) -> list[object]:
        """Create the follow-up's issue, or adopt the one a crashed attempt created."""
        followup = read_followup(self.factory, int(message.payload["followup_id"]))
        if followup.jira_key:
            return []
        with permanent_refusals(f"create the issue of follow-up #{followup.id}"):
            return self._create(followup.id, followup.incident_id, followup.title, followup.owner)

    def _create(
        self, followup_id: int, incident_id: int, title: str, owner: str | None
    ) -> list[object]:
        tag = label(incident_id)
        project = self.settings.jira_project or ""
        jql = f'project = "{project}" AND labels = "{tag}"'
        for issue in search(self.client, jql, "description,labels,status"):
            if marker(followup_id) in str((issue.get("fields") or {}).get("description") or ""):
                log.info("adopting Jira issue %s for follow-up %s", issue["key"], followup_id)
                return [JiraIssueLinked(followup_id, issue["key"], self.browse(issue["key"]))]
        fields: dict[str, Any] = {
            "project": {"key": project},
            "issuetype": {"name": self.settings.jira_issue_type},
            "summary": title[:250],
            "description": self._description(incident_id, followup_id),
            "labels": [tag, "firefighter"],
        }
        email = self.email_of(owner) if owner and self.email_of else None
        lookup_failed: str | None = None
        if email:
            # The assignee is a nicety: a lookup Jira refuses (403, 404) or that times out
            # must not keep the follow-up from its issue.
            try:
                assignee = find_account(self.client, email)
            except Exception as error:
                status = refusal_status(error)
                lookup_failed = f"HTTP {status}" if status else type(error).__name__
                log.warning("jira: assignee lookup for follow-up %s failed: %s", followup_id, error)
                assignee = None
            if assignee:
                fields["assignee"] = assignee
        created = self.client.create_issue(fields=fields)
        key = str(created["key"])
        made: list[object] = [JiraIssueLinked(followup_id, key, self.browse(key))]
        if lookup_failed is not None:
            made.append(
                Notice(
                    incident_id,
                    f":information_source: Follow-up #{followup_id}'s Jira issue {key} was "
                    f"created unassigned: Jira would not look up <@{owner}>'s account "
                    f"({lookup_failed}). Assign it in Jira: {self.browse(key)}",
                    key=f"jira-unassigned:{followup_id}",
                )
            )
        return made

    def _description(self, incident_id: int, followup_id: int) -> str:
        incident = incident_summary(self.factory, incident_id)
        reference, title = incident.reference, incident.title
        channel, name = incident.channel_id, incident.channel_name
        postmortem = incident.postmortem_url
        lines = [f"Follow-up of {reference}: {title}", ""]
        if channel:
            lines.append(f"Slack channel: #{name or channel} ({channel})")
        lines.append(f"Post-mortem: {postmortem}" if postmortem else "Post-mortem: not yet written")
        lines += ["", f"Created by FireFighter {marker(followup_id)}"]
        return "\n".join(lines)

    def done(self, message: Message) -> Notice | None:
        """Move the issue to a done status if its workflow allows it now; otherwise say so once."""
        followup = read_followup(self.factory, int(message.payload["followup_id"]))
        if not followup.jira_key or followup.is_open:
            return None
        with permanent_refusals(f"move {followup.jira_key} to done"):
            return self._done(followup.id, followup.incident_id, followup.jira_key)

    def _done(self, followup_id: int, incident_id: int, key: str) -> Notice | None:
        issue = self.client.issue(key, fields="status")
        if category(issue) == DONE:
            return None
        answer = self.client.get_issue_transitions_full(key) or {}
        to_done = [
            t
            for t in answer.get("transitions") or []
            if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == DONE
        ]
        if not to_done:
            return Notice(
                incident_id,
                f":information_source: Follow-up #{followup_id} is done, but its Jira issue "
                f"{key} cannot move to done from “{status_name(issue)}” in its workflow; "
                f"close it in Jira: {self.browse(key)}",
                key=f"jira-done:{followup_id}:{status_name(issue)}",
            )
        self.client.set_issue_status_by_transition_id(key, to_done[0]["id"])
        return None
