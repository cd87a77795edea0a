"""A plain, read-only view of an incident and its timeline: what a post-mortem is made of.

The view is built from the ORM objects in one short read, so rendering never touches the
database and tests can render any incident they can describe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from firefighter.incidents import queries
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.settings import Severity
from firefighter.text import format_duration, plain_text

ROLE_LABELS = {
    "commander": "Incident commander",
    "communications": "Communications lead",
    "scribe": "Scribe",
}

KIND_LABELS = {
    "declared": "Declared",
    "status_changed": "Status",
    "reopened": "Reopened",
    "closed": "Closed",
    "severity_changed": "Severity",
    "milestone_set": "Milestone",
    "role_assigned": "Role",
    "update": "Update",
    "alert": "Alert",
}

# Phases drawn on the chart and counted in "time in each status", in lifecycle order.
PHASES = ("open", "investigating", "mitigating", "mitigated", "postmortem")

# The timeline of the page leaves out its own publication: listing it would make every
# re-export differ from the last one, and the page does not need to mention itself.
HIDDEN_KINDS = frozenset({"postmortem_published"})


@dataclass(frozen=True)
class Entry:
    """One timeline row, with its time already formatted in UTC and in the local zone."""

    at: datetime
    at_utc: str
    at_local: str
    kind: str
    kind_label: str
    actor: str | None
    text: str


@dataclass(frozen=True)
class Milestone:
    """A named instant of the incident (started, detected, declared...)."""

    name: str
    label: str
    at: datetime | None
    at_utc: str
    at_local: str


@dataclass(frozen=True)
class Metric:
    """A duration between two milestones, e.g. time to mitigate."""

    name: str
    label: str
    definition: str
    seconds: float | None
    text: str


@dataclass(frozen=True)
class Span:
    """A stretch of time the incident spent in one status."""

    status: str
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        """Length of the span in seconds."""
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class PostmortemView:
    """Everything a post-mortem shows, detached from the database."""

    id: int
    reference: str
    title: str
    status: str
    severity: str
    severity_description: str
    component: str | None
    private: bool
    drill: bool
    description: str
    closure_reason: str | None
    roles: tuple[tuple[str, str], ...]
    participants: tuple[str, ...]
    milestones: tuple[Milestone, ...]
    metrics: tuple[Metric, ...]
    events: tuple[Entry, ...]
    spans: tuple[Span, ...]
    time_in_status: tuple[tuple[str, str], ...]
    past_severities: tuple[str, ...]
    duration: str
    zone: str
    declared_at: datetime
    started_at: datetime | None
    mitigated_at: datetime | None
    as_of: datetime
    alerts: str = ""
    """Linked alerts, e.g. `3 linked, 2 resolved`; empty when none."""

    @property
    def page_title(self) -> str:
        """`INC-12: Disk full (SEV2)`; drills say so right after the reference."""
        return page_title(self.reference, self.title, self.severity, drill=self.drill)

    @property
    def local_zone_differs(self) -> bool:
        """Whether the configured zone is worth a column of its own next to UTC."""
        return self.zone not in ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu")

    @property
    def owner_mark(self) -> str:
        """A name only our page of this very incident carries (see `render.owner_marker`)."""
        stamp = self.declared_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"firefighter-incident-{self.id}-{stamp}"

    def milestone(self, name: str) -> Milestone:
        """The milestone called `name` (started, detected, declared, acknowledged...)."""
        return next(m for m in self.milestones if m.name == name)

    def metric(self, name: str) -> Metric:
        """The metric called `name` (detect, acknowledge, mitigate, close)."""
        return next(m for m in self.metrics if m.name == name)

    @property
    def updates(self) -> tuple[Entry, ...]:
        """The status updates, for the chart's markers."""
        return tuple(e for e in self.events if e.kind == "update")


def page_title(reference: str, title: str, severity: str, *, drill: bool = False) -> str:
    """The page title for an incident with these attributes."""
    label = "[DRILL] " if drill else ""
    return f"{reference}: {label}{title} ({severity})"


def _formats(at: datetime | None, zone: ZoneInfo) -> tuple[str, str]:
    if at is None:
        return "—", "—"
    utc = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    local = at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    return utc, local


def _between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def status_spans(
    declared_at: datetime, events: Sequence[TimelineEvent], as_of: datetime
) -> tuple[Span, ...]:
    """The statuses the incident went through, from its status-changing events."""
    spans: list[Span] = []
    status, since = "open", declared_at
    closed = False
    for event in events:
        if event.kind in ("status_changed", "reopened"):
            target = str((event.data or {}).get("to") or "")
        elif event.kind == "closed":
            target = "closed"
        else:
            continue
        if not target or target == status:
            continue
        if event.at > since:
            spans.append(Span(status, since, event.at))
        status, since = target, event.at
        if target == "closed":
            closed = True
            break
    if not closed and as_of > since:
        spans.append(Span(status, since, as_of))
    return tuple(spans)


def alerts_line(events: Sequence[TimelineEvent]) -> str:
    """How many alerts were linked and how many of them resolved, from the timeline."""
    last: dict[object, str] = {}
    for event in events:
        if event.kind == "alert":
            data = event.data or {}
            last[data.get("alert_id")] = str(data.get("status"))
    if not last:
        return ""
    resolved = sum(1 for status in last.values() if status == "resolved")
    return f"{len(last)} linked, {resolved} resolved"


def build_view(
    incident: Incident,
    events: Sequence[TimelineEvent],
    *,
    zone: ZoneInfo,
    severities: Sequence[Severity] = (),
) -> PostmortemView:
    """The post-mortem view of `incident` and its timeline (oldest event first)."""
    described = {s.name: s.description for s in severities}
    shown = [e for e in events if e.kind not in HIDDEN_KINDS]
    entries = tuple(
        Entry(
            e.at,
            *_formats(e.at, zone),
            kind=e.kind,
            kind_label=KIND_LABELS.get(e.kind, e.kind.replace("_", " ").capitalize()),
            actor=e.actor,
            text=plain_text(e.text),
        )
        for e in shown
    )
    participants: list[str] = []
    for e in shown:
        if e.actor and e.actor not in participants:
            participants.append(e.actor)
    order = {role: i for i, role in enumerate(ROLE_LABELS)}
    roles = tuple(
        (ROLE_LABELS.get(r.role, r.role.capitalize()), r.user_id)
        for r in sorted(incident.roles, key=lambda r: (order.get(r.role, len(order)), r.role))
    )
    named = (
        ("started", "Impact started", incident.started_at),
        ("detected", "Detected", incident.detected_at),
        ("declared", "Declared", incident.declared_at),
        ("acknowledged", "Acknowledged", incident.acknowledged_at),
        ("mitigated", "Mitigated", incident.mitigated_at),
        ("closed", "Closed", incident.closed_at),
    )
    milestones = tuple(Milestone(n, label, at, *_formats(at, zone)) for n, label, at in named)

    at = {m.name: m.at for m in milestones}
    metrics = tuple(
        Metric(
            name,
            f"Time to {name}",
            f"{end} − {start}",
            _between(at[start], at[end]),
            format_duration(_between(at[start], at[end])),
        )
        for name, start, end in (
            ("detect", "started", "detected"),
            ("acknowledge", "declared", "acknowledged"),
            ("mitigate", "started", "mitigated"),
            ("close", "declared", "closed"),
        )
    )
    last_event = max((e.at for e in shown), default=incident.declared_at)
    as_of = incident.closed_at or max(last_event, incident.declared_at)
    spans = status_spans(incident.declared_at, events, as_of)
    totals: dict[str, float] = {}
    for span in spans:
        totals[span.status] = totals.get(span.status, 0.0) + span.seconds
    time_in_status = tuple(
        (status, format_duration(totals[status])) for status in PHASES if status in totals
    )
    past: list[str] = []
    for e in reversed(events):
        if e.kind == "severity_changed":
            previous = str((e.data or {}).get("from") or "")
            if previous and previous != incident.severity and previous not in past:
                past.append(previous)
    if incident.closed_at is not None:
        duration = format_duration(_between(incident.declared_at, incident.closed_at))
    else:
        duration = f"{format_duration(_between(incident.declared_at, as_of))} so far (not closed)"
    return PostmortemView(
        id=incident.id,
        reference=incident.reference,
        title=incident.title,
        status=incident.status,
        severity=incident.severity,
        severity_description=described.get(incident.severity, ""),
        component=incident.component,
        private=incident.private,
        drill=incident.drill,
        description=incident.description or "",
        closure_reason=incident.closure_reason,
        roles=roles,
        participants=tuple(participants),
        milestones=milestones,
        metrics=metrics,
        events=entries,
        spans=spans,
        time_in_status=time_in_status,
        past_severities=tuple(past),
        duration=duration,
        zone=str(zone.key),
        declared_at=incident.declared_at,
        started_at=incident.started_at,
        mitigated_at=incident.mitigated_at,
        as_of=as_of,
        alerts=alerts_line(events),
    )


def load_view(
    session: Session, incident_id: int, *, zone: ZoneInfo, severities: Sequence[Severity] = ()
) -> tuple[PostmortemView, str | None]:
    """Read the incident and its timeline; also returns the page id already stored, if any."""
    incident = queries.get_incident(session, incident_id)
    events = queries.timeline(session, incident_id)
    view = build_view(incident, events, zone=zone, severities=severities)
    return view, incident.postmortem_page_id


def chart_window(view: PostmortemView) -> tuple[datetime, datetime]:
    """The time window worth drawing: from impact start to a little after the action.

    A post-mortem phase of days would squash the minutes that matter into a sliver, so the
    window ends shortly after mitigation (or the last update) when the rest is long.
    """
    start = min(t for t in (view.started_at, view.declared_at) if t is not None)
    action = max(
        [view.mitigated_at or view.as_of, start + timedelta(minutes=10)]
        + [e.at for e in view.updates]
    )
    full = max(view.as_of, action)
    if full - start <= (action - start) * 3:
        return start, full
    return start, action + (action - start) * 0.25
