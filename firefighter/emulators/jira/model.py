"""What the Jira emulator holds: issues, users, a small workflow and a small JQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

STATUS_CATEGORY = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}
"""Status name → status category key, as Jira's default workflow."""

CATEGORY_NAME = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}

WORKFLOW: dict[str, list[tuple[str, str, str]]] = {
    "To Do": [("11", "Start Progress", "In Progress"), ("31", "Done", "Done")],
    "In Progress": [("21", "Stop Progress", "To Do"), ("31", "Done", "Done")],
    "Done": [("41", "Reopen", "To Do")],
}
"""From each status, the transitions (id, name, target) Jira offers."""


@dataclass
class JiraUser:
    """A Jira account: Cloud knows it by account id, Data Center by name."""

    account_id: str
    name: str
    email: str
    display_name: str

    def to_api(self, cloud: bool) -> dict[str, Any]:
        """The user as REST v2 shows it."""
        if cloud:
            return {
                "accountId": self.account_id,
                "emailAddress": self.email,
                "displayName": self.display_name,
                "active": True,
            }
        return {
            "name": self.name,
            "key": self.name,
            "emailAddress": self.email,
            "displayName": self.display_name,
            "active": True,
        }


@dataclass
class Issue:
    """One issue and the fields the emulator keeps."""

    id: str
    key: str
    project: str
    issue_type: str
    summary: str
    description: str
    labels: list[str]
    status: str = "To Do"
    assignee: JiraUser | None = None
    history: list[str] = field(default_factory=list)

    @property
    def category(self) -> str:
        """The status category key (new, indeterminate, done)."""
        return STATUS_CATEGORY[self.status]

    def to_api(self, base: str, cloud: bool) -> dict[str, Any]:
        """The issue as `GET /rest/api/2/issue/{key}` answers."""
        return {
            "id": self.id,
            "key": self.key,
            "self": f"{base}/rest/api/2/issue/{self.id}",
            "fields": {
                "summary": self.summary,
                "description": self.description,
                "labels": list(self.labels),
                "project": {"key": self.project},
                "issuetype": {"name": self.issue_type},
                "assignee": self.assignee.to_api(cloud) if self.assignee else None,
                "status": {
                    "name": self.status,
                    "statusCategory": {
                        "key": self.category,
                        "name": CATEGORY_NAME[self.category],
                    },
                },
            },
        }


class JqlError(ValueError):
    """A query Jira would refuse (400, "Error in the JQL Query")."""


_CLAUSE = re.compile(
    r"""\s*(?P<field>project|labels|key|issuekey|status|statusCategory|text|description|summary)
        \s*(?P<op>=|!=|~|\bin\b|\bnot\s+in\b)\s*
        (?P<value>\([^)]*\)|"[^"]*"|'[^']*'|[\w.-]+)\s*""",
    re.IGNORECASE | re.VERBOSE,
)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_jql(jql: str) -> list[tuple[str, str, list[str]]]:
    """(field, operator, values) clauses joined by AND, optionally ORDER BY; JqlError else."""
    text = re.split(r"\border\s+by\b", jql, flags=re.IGNORECASE)[0].strip()
    if not text:
        return []
    clauses = []
    for part in re.split(r"\s+AND\s+", text, flags=re.IGNORECASE):
        match = _CLAUSE.fullmatch(part)
        if match is None:
            raise JqlError(f"Error in the JQL Query: the query {part.strip()!r} is not valid.")
        op = re.sub(r"\s+", " ", match["op"].lower())
        raw = match["value"]
        if op in ("in", "not in"):
            if not raw.startswith("("):
                raise JqlError(f"Error in the JQL Query: expected a list after {op!r}.")
            values = [_unquote(v) for v in raw[1:-1].split(",") if v.strip()]
        else:
            values = [_unquote(raw)]
        clauses.append((match["field"].lower(), op, values))
    return clauses


def matches(issue: Issue, clauses: list[tuple[str, str, list[str]]]) -> bool:
    """Whether `issue` satisfies every clause."""
    for name, op, values in clauses:
        if name in ("key", "issuekey"):
            have = [issue.key]
        elif name == "project":
            have = [issue.project]
        elif name == "labels":
            have = issue.labels
        elif name == "status":
            have = [issue.status]
        elif name == "statuscategory":
            have = [CATEGORY_NAME[issue.category], issue.category]
        else:  # text search
            blob = f"{issue.summary} {issue.description}".lower()
            if values[0].lower() not in blob:
                return False
            continue
        lowered = {h.lower() for h in have}
        hit = any(v.lower() in lowered for v in values)
        if (op in ("=", "in", "~") and not hit) or (op in ("!=", "not in") and hit):
            return False
    return True
