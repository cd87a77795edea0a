"""The incident's Block Kit: card, announcement, timeline posts, lists, help.

Built with `slack_sdk.models`, which refuse over-long texts; user text is escaped and cut
before it gets there, so a hostile title can neither ping anyone nor break a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.incidents.paging_plan import PageView
from firefighter.incidents.read import IncidentView
from firefighter.incidents.service import ROLES
from firefighter.incidents.wording import event_words, fill
from firefighter.settings import Severity
from firefighter.slack.blocks.common import (
    FIELD_MAX,
    HEADER_MAX,
    MAX_BLOCKS,
    OPTION_MAX,
    SECTION_MAX,
    md,
    plain,
)
from firefighter.slack.blocks.paging import PAGE_ACTION, page_line
from firefighter.slack.mrkdwn import escape, link, linked, mention, slack_date, user
from firefighter.text import truncate

STATUS_EMOJI = {
    "open": ":red_circle:",
    "investigating": ":mag:",
    "mitigating": ":hammer_and_wrench:",
    "mitigated": ":large_green_circle:",
    "postmortem": ":memo:",
    "closed": ":white_check_mark:",
}
STATUS_ACTION = "status"
SEVERITY_ACTION = "severity"
CLOSE_ACTION = "close_dialog"
REOPEN_ACTION = "reopen_dialog"
ACTION_PREFIX = "incident-actions"


@dataclass(frozen=True)
class CardContext:
    """What a card needs besides the incident: the moves it may offer and the severities."""

    next_states: Sequence[str]
    severities: Sequence[Severity]
    can_close_early: bool = False
    can_reopen: bool = False
    drill: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    alerts: tuple[int, int] = (0, 0)
    """Linked alerts (firing, resolved)."""
    followups: tuple[int, int] = (0, 0)
    """Follow-ups (open, total)."""
    pages: tuple[PageView, ...] = ()
    """The incident's pages (PagerDuty, Opsgenie)."""
    page_offer: str | None = None
    """The service a Page on-call button pages, or None (no button)."""
    base_url: str | None = None
    """FIREFIGHTER_BASE_URL: when set, the card and the announcement link to the web page."""


def web_page_url(base_url: str | None, incident_id: int) -> str | None:
    """The incident's page in the web console, or None without FIREFIGHTER_BASE_URL."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/incidents/{incident_id}"


def title_line(incident: Incident | IncidentView) -> str:
    """`INC-12: title`, with a DRILL label for drills (plain text, not escaped)."""
    label = "[DRILL] " if incident.drill else ""
    return f"{label}{incident.reference}: {incident.title}"


def drill_label(incident: Incident | IncidentView) -> str:
    """`[DRILL] ` before every message a drill posts; empty for real incidents."""
    return "[DRILL] " if incident.drill else ""


def status_label(status: str) -> str:
    """The status with its emoji."""
    return f"{STATUS_EMOJI.get(status, '')} {status}".strip()


def action_value(incident: Incident | IncidentView) -> str:
    """Button value: the incident id and the status the button was drawn for.

    A click on a button drawn for another status than the current one is refused, so a
    stale card never moves an incident; updates and role changes leave buttons valid.
    """
    return f"{incident.id}:{incident.status}"


def parse_action_value(value: str) -> tuple[int, str | None]:
    """(incident id, drawn status) from a button value or block id; ValueError if malformed."""
    head, _, status = value.partition(":")
    return int(head), status or None


def _fields(incident: Incident | IncidentView) -> list[MarkdownTextObject]:
    values = [
        f"*Severity*\n{incident.severity}",
        f"*Status*\n{status_label(incident.status)}",
        f"*Commander*\n{user(incident.holder('commander'))}",
    ]
    for role in ("communications", "scribe"):
        holder = incident.holder(role)
        if holder:
            values.append(f"*{ROLES[role]}*\n{user(holder)}")
    if incident.component:
        values.append(f"*Component*\n{escape(incident.component)}")
    if incident.channel_id:
        values.append(f"*Channel*\n<#{incident.channel_id}>")
    values.append(f"*Declared*\n{slack_date(incident.declared_at)}")
    if incident.postmortem_url:
        values.append("*Post-mortem*\n" + link(incident.postmortem_url, "Read it"))
    return [md(v, FIELD_MAX) for v in values[:10]]


def _actions(incident: Incident | IncidentView, context: CardContext) -> ActionsBlock | None:
    if incident.status == "closed":
        return None
    value = action_value(incident)
    elements: list[Any] = [
        ButtonElement(
            text=plain(state, OPTION_MAX),
            action_id=f"{STATUS_ACTION}:{state}",
            value=value,
            style="primary" if state in ("mitigated", "closed") else None,
        )
        for state in context.next_states
    ]
    if context.can_close_early:
        elements.append(
            ButtonElement(text=plain("close…", OPTION_MAX), action_id=CLOSE_ACTION, value=value)
        )
    if context.page_offer:
        elements.append(
            ButtonElement(
                text=plain("Page on-call", OPTION_MAX),
                action_id=PAGE_ACTION,
                value=f"{incident.id}:{context.page_offer}"[:2000],
                style="danger",
            )
        )
    if context.can_reopen:
        elements.append(
            ButtonElement(
                text=plain("reopen…", OPTION_MAX),
                action_id=REOPEN_ACTION,
                value=value,
                style="danger",
            )
        )
    options = [Option(value=s.name, text=plain(s.name, OPTION_MAX)) for s in context.severities]
    current = next((o for o in options if o.value == incident.severity), None)
    elements.append(
        StaticSelectElement(
            action_id=SEVERITY_ACTION,
            placeholder=plain("Severity", OPTION_MAX),
            options=options,
            initial_option=current,
        )
    )
    # The block id carries the version too: a select's payload has no value of its own.
    return ActionsBlock(block_id=f"{ACTION_PREFIX}:{value}", elements=elements)


def incident_card(incident: Incident | IncidentView, context: CardContext) -> list[Block]:
    """The pinned card in the incident channel."""
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"🔥 {title_line(incident)}", HEADER_MAX)),
        SectionBlock(fields=_fields(incident)),
    ]
    if incident.description:
        # Prefilled from a message, the description holds Slack links: shown as links.
        blocks.append(SectionBlock(text=md(linked(incident.description, SECTION_MAX))))
    firing, resolved = context.alerts
    if firing or resolved:
        noun = "alert" if firing == 1 else "alerts"
        line = f":rotating_light: {firing} {noun} firing, {resolved} resolved"
        blocks.append(ContextBlock(elements=[md(line)]))
    still_open, total = context.followups
    if total:
        line = f":clipboard: Follow-ups: {still_open} open / {total}"
        blocks.append(ContextBlock(elements=[md(line)]))
    if context.pages:
        lines = "\n".join(page_line(p) for p in context.pages[:5])
        blocks.append(SectionBlock(text=md(f"*On call paged*\n{lines}", SECTION_MAX)))
    actions = _actions(incident, context)
    if actions is not None:
        blocks.append(actions)
    notes = []
    if incident.drill:
        notes.append(":performing_arts: *DRILL* — a Game Day exercise, not a real incident.")
    if incident.private:
        notes.append(":lock: Private incident.")
    if incident.closure_reason:
        notes.append(f"Closed as {incident.closure_reason.replace('_', ' ')}.")
    page = web_page_url(context.base_url, incident.id)
    if page:
        notes.append(link(page, "Open in the web console"))
    if notes:
        blocks.append(ContextBlock(elements=[md(" ".join(notes))]))
    return blocks


def announcement(incident: Incident | IncidentView, context: CardContext) -> list[Block]:
    """The announcement in the incidents channel: who, what, where, and the buttons."""
    channel = f"<#{incident.channel_id}>" if incident.channel_id else "_channel being created_"
    summary = (
        f"*{escape(title_line(incident))}*\n"
        f"{incident.severity} · {status_label(incident.status)} · commander "
        f"{user(incident.holder('commander'))} · {channel}"
    )
    if incident.postmortem_url:
        summary += " · " + link(incident.postmortem_url, "post-mortem")
    page = web_page_url(context.base_url, incident.id)
    if page:
        summary += " · " + link(page, "web page")
    blocks: list[Block] = [SectionBlock(text=md(summary))]
    actions = _actions(incident, context)
    if actions is not None:
        blocks.append(actions)
    return blocks


def fallback_text(incident: Incident | IncidentView) -> str:
    """The notification text that goes with the blocks."""
    return truncate(
        f"{escape(title_line(incident))} — {incident.severity}, {incident.status}", SECTION_MAX
    )


def topic(incident: Incident | IncidentView) -> str:
    """The channel topic: severity, status and commander (Slack allows 250 characters)."""
    commander = incident.holder("commander")
    text = f"{incident.severity} · {incident.status} · IC {user(commander)}"
    if incident.drill:
        text = "DRILL · " + text
    return truncate(f"{text} · {escape(incident.title)}", 250)


def event_text(event: TimelineEvent, incident: Incident) -> str:
    """How a timeline event reads in the channel: who did what."""
    actor = user(event.actor) if event.actor else "FireFighter"
    drill = "[DRILL] " if incident.drill else ""
    data = event.data or {}
    if event.kind == "update":
        line = f":speech_balloon: *Update* from {actor}:\n{escape(event.text)}"
    elif event.kind == "status_changed":
        moved = f"from {data.get('from')} to *{data.get('to')}*"
        line = f":arrows_counterclockwise: {actor} moved it {moved}"
    elif event.kind == "severity_changed":
        moved = f"from {data.get('from')} to *{data.get('to')}*"
        line = f":rotating_light: {actor} changed the severity {moved}"
    elif event.kind == "role_assigned":
        role = ROLES.get(str(data.get("role")), str(data.get("role"))).lower()
        line = f":bust_in_silhouette: {actor} made {user(str(data.get('user')))} the {role}"
    elif event.kind == "reopened":
        reason = escape(str(data.get("reason", "")))
        line = f":leftwards_arrow_with_hook: {actor} reopened it to *{data.get('to')}*: {reason}"
    elif event.kind == "alert":
        icon = ":white_check_mark:" if data.get("status") == "resolved" else ":rotating_light:"
        line = f"{icon} {escape(event.text)}"
    elif event.kind == "closed":
        reason = str(data.get("reason") or "resolved").replace("_", " ")
        line = f":white_check_mark: {actor} closed it ({reason})"
    elif event.kind == "message":
        # A pinned message's own links stay links; room is left for the actor and the label.
        line = f":round_pushpin: {linked(event.text, SECTION_MAX - 100)} — {actor}"
    else:
        # People in the event (a follow-up's owner) as mentions: Slack shows their names.
        said = fill(event_words(event.text, event.data), mention, lambda typed: f"`{typed}`")
        line = f":round_pushpin: {linked(said, SECTION_MAX - 100)} — {actor}"
    return truncate(drill + line, SECTION_MAX)


def help_text(command: str) -> str:
    """Every subcommand with one line each."""
    lines = [
        f"*{command}* — incident response in Slack",
        "",
        "*Anywhere*",
        f"`{command} declare [title]` — declare an incident (opens a form)",
        f"`{command} drill [title]` — declare a drill: an exercise, kept out of the metrics",
        f"`{command} gameday start NAME` · `gameday stop` — run a Game Day",
        f"`{command} list` — open incidents, most severe first",
        f"`{command} stats [7d|30d|90d]` — incident metrics, only for you",
        f"`{command} oncall [component]` — who is on call now, per service",
        f"`{command} freeze [component] [until]` · `unfreeze [component]` — stop chaos "
        "experiments (the chaos gate answers 503)",
        f"`{command} help` — this help",
        "",
        "*In an incident channel*",
        f"`{command} status` — show the incident card",
        f"`{command} update TEXT` — post a status update to the timeline",
        f"`{command} severity SEVn` — change the severity",
        f"`{command} role commander|comms|scribe @user` — assign a role",
        f"`{command} investigating` · `mitigating` · `mitigated` — move the incident",
        f"`{command} close [reason]` — close (a reason is needed before mitigation)",
        f"`{command} reopen REASON` — reopen a mitigated incident",
        f"`{command} postmortem` — start the post-mortem / export it again",
        f"`{command} page [service]` — page a service's on-call (PagerDuty, Opsgenie)",
    ]
    return "\n".join(lines)


def incident_list(incidents: Sequence[IncidentView]) -> list[Block]:
    """Open incidents, one line each with a channel link."""
    if not incidents:
        return [SectionBlock(text=md(":sunny: No open incidents."))]
    blocks: list[Block] = [HeaderBlock(text=plain(f"Open incidents ({len(incidents)})", 150))]
    lines = []
    for incident in incidents:
        channel = f"<#{incident.channel_id}>" if incident.channel_id else "(no channel yet)"
        lock = ":lock: " if incident.private else ""
        lines.append(
            f"{lock}*{incident.severity}* {status_label(incident.status)} "
            f"{escape(title_line(incident))} — {channel}"
        )
    # Several sections, each under Slack's limit, never more than the blocks allowed.
    chunk: list[str] = []
    for line in lines:
        line = truncate(line, 500)
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_MAX - 10:
            blocks.append(SectionBlock(text=md("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(SectionBlock(text=md("\n".join(chunk))))
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], ContextBlock(elements=[md("…and more.")])]
    return blocks


def postmortem_link(url: str, first: bool) -> str:
    """The message that links a published post-mortem back into the channel."""
    verb = "is ready" if first else "was updated"
    return (
        f":memo: The post-mortem {verb}: {link(url, 'open it')}. "
        "Fill in the root causes and actions."
    )
