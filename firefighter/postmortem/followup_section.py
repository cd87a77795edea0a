"""The post-mortem's "Follow-ups" section: one line per follow-up, read from the database.

The section sits in the generated part of the page, above the authors' boundary, so every
export rewrites it from the follow-ups as they are now, and the authors' sections below are
never touched by it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from firefighter.incidents.followup_models import FollowUp


@dataclass(frozen=True)
class FollowUpLine:
    """One follow-up as the page shows it; people by name."""

    id: int
    title: str
    owner: str
    """The owner's name, or an empty string when nobody owns it."""
    due: str
    """`YYYY-MM-DD` (a day in the configured zone, as it was given), or empty."""
    status: str
    jira_key: str
    jira_url: str


def followup_lines(
    followups: Sequence[FollowUp], names: Mapping[str, str]
) -> tuple[FollowUpLine, ...]:
    """The lines of `followups`, oldest first, owners named by `names` (ids when unknown)."""
    return tuple(
        FollowUpLine(
            id=f.id,
            title=f.title,
            owner=(names.get(f.owner) or f.owner) if f.owner else "",
            due=f.due.isoformat() if f.due else "",
            status=f.status,
            jira_key=f.jira_key or "",
            jira_url=f.jira_url or "",
        )
        for f in sorted(followups, key=lambda f: f.id)
    )
