"""A plain, read-only view of an incident and its timeline: what a post-mortem is made of.

The view is built from the ORM objects in one short read, so rendering never touches the
database and tests can render any incident they can describe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from firefighter.incidents import queries
from firefighter.incidents.followup_queries import list_followups
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.incidents.read import EventView, IncidentView
from firefighter.incidents.wording import event_words, people, plain
from firefighter.postmortem.followup_section import FollowUpLine, followup_lines
from firefighter.settings import Severity
from firefighter.text import format_duration, mentioned_ids, slack_plain

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
    "message": "Message",
}

Names = Callable[[Iterable[str]], Mapping[str, str]]
"""Names of Slack users by id (the core's `People.names`), for pages people read."""

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
    """Readable text: mentions as names, links as their labels."""
    raw: str = ""
    """The text as Slack wrote it, for renderers that draw its links."""
    link: str = ""
    """The permalink of a pinned message."""
    files: tuple[str, ...] = ()


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
    names: Mapping[str, str] = field(default_factory=dict)
    """Names of the people in the page (user id to name)."""
    web_url: str = ""
    """The incident's page in the web console (with FIREFIGHTER_BASE_URL); empty otherwise."""
    command: str = "/incident"
    """The slash command (FIREFIGHTER_COMMAND) the page tells readers to use."""
    customer_facing: bool | None = None
    """Whether the severity means customers saw it; None when the severity does not say."""
    followups: tuple[FollowUpLine, ...] = ()
    """The incident's follow-ups as they are at this export."""

    def name(self, user_id: str | None) -> str:
        """The name of `user_id` (its id when Slack never told us), FireFighter for None."""
        if not user_id:
            return "FireFighter"
        return self.names.get(user_id) or user_id

    @property
    def impact_seconds(self) -> float | None:
        """From impact start to mitigation (or now, when not mitigated)."""
        start = self.started_at or self.declared_at
        return ((self.mitigated_at or self.as_of) - start).total_seconds()

    @property
    def what_happened(self) -> str:
        """The incident in plain words for readers outside engineering."""
        what = self.component or "part of the service"
        how = self.severity_description.rstrip(".") or f"a {self.severity} incident"
        lasted = format_duration(self.impact_seconds)
        sentence = f"{self.title}. For {lasted}, {what} was affected ({how})."
        if self.mitigated_at is None:
            sentence = f"{self.title}. For {lasted} so far, {what} has been affected ({how})."
        if self.customer_facing is True:
            sentence += " Customers were affected."
        elif self.customer_facing is False:
            sentence += " Customers were not affected."
        return sentence

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
    declared_at: datetime, events: Sequence[TimelineEvent | EventView], as_of: datetime
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


def alerts_line(events: Sequence[TimelineEvent | EventView]) -> str:
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
    incident: Incident | IncidentView,
    events: Sequence[TimelineEvent | EventView],
    *,
    zone: ZoneInfo,
    severities: Sequence[Severity] = (),
    names: Mapping[str, str] | None = None,
) -> PostmortemView:
    """The post-mortem view of `incident` and its timeline (oldest event first); `names`
    names people by Slack id (ids stay as they are when absent)."""
    names = dict(names or {})
    described = {s.name: s.description for s in severities}
    facing = {s.name: s.customer_facing for s in severities}
    shown = [e for e in events if e.kind not in HIDDEN_KINDS]
    entries = tuple(
        Entry(
            e.at,
            *_formats(e.at, zone),
            kind=e.kind,
            kind_label=KIND_LABELS.get(e.kind, e.kind.replace("_", " ").capitalize()),
            actor=e.actor,
            # People by name; the text people typed keeps its Slack links for the page.
            text=plain(event_words(e.text, e.data), names, lambda t: slack_plain(t, names)),
            raw=plain(event_words(e.text, e.data), names),
            link=str((e.data or {}).get("permalink") or "") if e.kind == "message" else "",
            files=tuple(str(f) for f in (e.data or {}).get("files") or ()),
        )
        for e in shown
    )
    participants: list[str] = []
    for e in shown:
        name = names.get(e.actor or "") or e.actor
        if name and name not in participants:
            participants.append(name)
    order = {role: i for i, role in enumerate(ROLE_LABELS)}
    held = [(r.role, r.user_id) for r in incident.roles]
    roles = tuple(
        (ROLE_LABELS.get(role, role.capitalize()), names.get(user) or user)
        for role, user in sorted(held, key=lambda r: (order.get(r[0], len(order)), r[0]))
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
    # The impact first, as "What happened" tells it ("For 48 min, …"), so the two agree;
    # how long the incident stayed open is another figure, named as such.
    impact_start = incident.started_at or incident.declared_at
    impact = format_duration(_between(impact_start, incident.mitigated_at or as_of))
    impact += " of impact" if incident.mitigated_at else " of impact so far (not mitigated)"
    if incident.closed_at is not None:
        opened = format_duration(_between(incident.declared_at, incident.closed_at))
        duration = f"{impact}; closed {opened} after it was declared"
    else:
        duration = f"{impact}; open for {format_duration(_between(incident.declared_at, as_of))}"
        duration += " so far (not closed)"
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
        names=names,
        customer_facing=facing.get(incident.severity),
    )


def people_in(
    incident: Incident | IncidentView, events: Sequence[TimelineEvent | EventView]
) -> list[str]:
    """Every user id a post-mortem of `incident` names: roles, actors, mentions."""
    ids = [r.user_id for r in incident.roles] + [incident.declarer or ""]
    ids += mentioned_ids(incident.description or "")
    for event in events:
        ids += [event.actor or "", *mentioned_ids(event.text or "")]
        ids += people(event_words(event.text, event.data))
    return [i for i in dict.fromkeys(ids) if i]


def load_view(
    session: Session,
    incident_id: int,
    *,
    zone: ZoneInfo,
    severities: Sequence[Severity] = (),
    names: Names | None = None,
) -> tuple[PostmortemView, str | None]:
    """Read the incident and its timeline; also returns the page id already stored, if any.

    `names` is asked for the people involved after the read, so a slow Slack lookup never
    holds the session open.
    """
    incident = queries.get_incident(session, incident_id)
    events = queries.timeline(session, incident_id)
    followups = list_followups(session, incident_id=incident_id)
    # Detached and the connection released: the lookup may wait on Slack.
    session.expunge_all()
    session.rollback()
    people = people_in(incident, events) + [f.owner for f in followups if f.owner]
    known = names(list(dict.fromkeys(people))) if names is not None else {}
    view = build_view(incident, events, zone=zone, severities=severities, names=known)
    view = replace(view, followups=followup_lines(followups, known))
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
