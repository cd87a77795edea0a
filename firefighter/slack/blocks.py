"""Block Kit, built by pure functions: incident in, blocks out.

Built with `slack_sdk.models`, which refuse over-long texts; user text is escaped and cut
before it gets there, so a hostile title can neither ping anyone nor break a message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DateTimePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from firefighter.incidents.models import TITLE_MAX, UPDATE_MAX, Incident, TimelineEvent
from firefighter.incidents.service import CLOSURE_REASONS, ROLES
from firefighter.settings import Severity
from firefighter.slack.text import escape, slack_date, truncate, user

SECTION_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
OPTION_MAX = 75
MAX_BLOCKS = 50

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

DECLARE_CALLBACK = "declare"
CLOSE_CALLBACK = "close"
REOPEN_CALLBACK = "reopen"


@dataclass(frozen=True)
class CardContext:
    """What a card needs besides the incident: the moves it may offer and the severities."""

    next_states: Sequence[str]
    severities: Sequence[Severity]
    can_close_early: bool = False
    can_reopen: bool = False
    drill: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _md(text: str, limit: int = SECTION_MAX) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(text, limit))


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=truncate(text, limit), emoji=True)


def title_line(incident: Incident) -> str:
    """`INC-12: title`, with a DRILL label for drills (plain text, not escaped)."""
    label = "[DRILL] " if incident.drill else ""
    return f"{label}{incident.reference}: {incident.title}"


def drill_label(incident: Incident) -> str:
    """`[DRILL] ` before every message a drill posts; empty for real incidents."""
    return "[DRILL] " if incident.drill else ""


def status_label(status: str) -> str:
    """The status with its emoji."""
    return f"{STATUS_EMOJI.get(status, '')} {status}".strip()


def action_value(incident: Incident) -> str:
    """Button value: the incident id and the status the button was drawn for.

    A click on a button drawn for another status than the current one is refused, so a
    stale card never moves an incident; updates and role changes leave buttons valid.
    """
    return f"{incident.id}:{incident.status}"


def parse_action_value(value: str) -> tuple[int, str | None]:
    """(incident id, drawn status) from a button value or block id; ValueError if malformed."""
    head, _, status = value.partition(":")
    return int(head), status or None


def _fields(incident: Incident) -> list[MarkdownTextObject]:
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
        values.append(f"*Post-mortem*\n<{incident.postmortem_url}|Read it>")
    return [_md(v, FIELD_MAX) for v in values[:10]]


def _actions(incident: Incident, context: CardContext) -> ActionsBlock | None:
    if incident.status == "closed":
        return None
    value = action_value(incident)
    elements: list[Any] = [
        ButtonElement(
            text=_plain(state, OPTION_MAX),
            action_id=f"{STATUS_ACTION}:{state}",
            value=value,
            style="primary" if state in ("mitigated", "closed") else None,
        )
        for state in context.next_states
    ]
    if context.can_close_early:
        elements.append(
            ButtonElement(text=_plain("close…", OPTION_MAX), action_id=CLOSE_ACTION, value=value)
        )
    if context.can_reopen:
        elements.append(
            ButtonElement(
                text=_plain("reopen…", OPTION_MAX),
                action_id=REOPEN_ACTION,
                value=value,
                style="danger",
            )
        )
    options = [Option(value=s.name, text=_plain(s.name, OPTION_MAX)) for s in context.severities]
    current = next((o for o in options if o.value == incident.severity), None)
    elements.append(
        StaticSelectElement(
            action_id=SEVERITY_ACTION,
            placeholder=_plain("Severity", OPTION_MAX),
            options=options,
            initial_option=current,
        )
    )
    # The block id carries the version too: a select's payload has no value of its own.
    return ActionsBlock(block_id=f"{ACTION_PREFIX}:{value}", elements=elements)


def incident_card(incident: Incident, context: CardContext) -> list[Block]:
    """The pinned card in the incident channel."""
    blocks: list[Block] = [
        HeaderBlock(text=_plain(f"🔥 {title_line(incident)}", HEADER_MAX)),
        SectionBlock(fields=_fields(incident)),
    ]
    if incident.description:
        blocks.append(SectionBlock(text=_md(escape(incident.description))))
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
    if notes:
        blocks.append(ContextBlock(elements=[_md(" ".join(notes))]))
    return blocks


def announcement(incident: Incident, context: CardContext) -> list[Block]:
    """The announcement in the incidents channel: who, what, where, and the buttons."""
    channel = f"<#{incident.channel_id}>" if incident.channel_id else "_channel being created_"
    summary = (
        f"*{escape(title_line(incident))}*\n"
        f"{incident.severity} · {status_label(incident.status)} · commander "
        f"{user(incident.holder('commander'))} · {channel}"
    )
    if incident.postmortem_url:
        summary += f" · <{incident.postmortem_url}|post-mortem>"
    blocks: list[Block] = [SectionBlock(text=_md(summary))]
    actions = _actions(incident, context)
    if actions is not None:
        blocks.append(actions)
    return blocks


def fallback_text(incident: Incident) -> str:
    """The notification text that goes with the blocks."""
    return truncate(
        f"{escape(title_line(incident))} — {incident.severity}, {incident.status}", SECTION_MAX
    )


def topic(incident: Incident) -> str:
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
    elif event.kind == "closed":
        reason = str(data.get("reason") or "resolved").replace("_", " ")
        line = f":white_check_mark: {actor} closed it ({reason})"
    else:
        line = f":round_pushpin: {escape(event.text)} — {actor}"
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
    ]
    return "\n".join(lines)


def incident_list(incidents: Sequence[Incident]) -> list[Block]:
    """Open incidents, one line each with a channel link."""
    if not incidents:
        return [SectionBlock(text=_md(":sunny: No open incidents."))]
    blocks: list[Block] = [HeaderBlock(text=_plain(f"Open incidents ({len(incidents)})", 150))]
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
            blocks.append(SectionBlock(text=_md("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(SectionBlock(text=_md("\n".join(chunk))))
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], ContextBlock(elements=[_md("…and more.")])]
    return blocks


def _severity_options(severities: Sequence[Severity]) -> list[Option]:
    return [
        Option(value=s.name, text=_plain(f"{s.name} — {s.description}", OPTION_MAX))
        for s in severities
    ]


def declare_modal(
    *,
    title: str,
    severities: Sequence[Severity],
    components: Sequence[str],
    channel_id: str | None = None,
    drill: bool = False,
) -> View:
    """The declare form, prefilled with the title typed after `declare` (or `drill`)."""
    drill_option = Option(
        value="drill",
        text=_plain("This is a drill", OPTION_MAX),
        description=_plain("drill- channel, Game Day channel only, no metrics", OPTION_MAX),
    )
    blocks: list[Block] = [
        InputBlock(
            block_id="title",
            label=_plain("Title", 2000),
            element=PlainTextInputElement(
                action_id="title",
                initial_value=truncate(title, TITLE_MAX) or None,
                max_length=TITLE_MAX,
                placeholder=_plain("What is broken, in one line", 150),
            ),
        ),
        InputBlock(
            block_id="severity",
            label=_plain("Severity", 2000),
            element=StaticSelectElement(
                action_id="severity", options=_severity_options(severities)
            ),
        ),
        InputBlock(
            block_id="description",
            label=_plain("Description", 2000),
            optional=True,
            element=PlainTextInputElement(
                action_id="description",
                multiline=True,
                max_length=3000,
                placeholder=_plain("Impact, symptoms, what you know so far", 150),
            ),
        ),
    ]
    if components:
        blocks.append(
            InputBlock(
                block_id="component",
                label=_plain("Component", 2000),
                optional=True,
                element=StaticSelectElement(
                    action_id="component",
                    options=[Option(value=c, text=_plain(c, OPTION_MAX)) for c in components[:100]],
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id="started_at",
            label=_plain("Impact started at", 2000),
            optional=True,
            hint=_plain("Leave empty if it started when you noticed it.", 150),
            element=DateTimePickerElement(action_id="started_at"),
        ),
        InputBlock(
            block_id="options",
            label=_plain("Options", 2000),
            optional=True,
            element=CheckboxesElement(
                action_id="options",
                options=[
                    Option(
                        value="private",
                        text=_plain("Private incident", OPTION_MAX),
                        description=_plain("Private channel, not announced", OPTION_MAX),
                    ),
                    drill_option,
                ],
                initial_options=[drill_option] if drill else None,
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=DECLARE_CALLBACK,
        title=_plain("Declare an incident", 24),
        submit=_plain("Declare", 24),
        close=_plain("Cancel", 24),
        private_metadata=json.dumps({"channel_id": channel_id}),
        blocks=blocks,
    )


def close_modal(incident: Incident, failure_classes: Sequence[str] = ()) -> View:
    """Asks why an incident closes before it was mitigated, and where the failure came from."""
    options = [
        Option(value=r, text=_plain(r.replace("_", " "), OPTION_MAX)) for r in CLOSURE_REASONS
    ]
    blocks: list[Block] = [
        SectionBlock(
            text=_md(
                f"*{escape(title_line(incident))}* is {incident.status}. Closing it before "
                "it is mitigated needs a reason."
            )
        ),
        InputBlock(
            block_id="reason",
            label=_plain("Closure reason", 2000),
            element=StaticSelectElement(action_id="reason", options=options),
        ),
    ]
    if failure_classes:
        blocks.append(
            InputBlock(
                block_id="failure_class",
                label=_plain("Failure class", 2000),
                optional=True,
                hint=_plain("Where did the failure come from? It feeds the weekly digest.", 150),
                element=StaticSelectElement(
                    action_id="failure_class",
                    options=[
                        Option(value=c, text=_plain(c, OPTION_MAX)) for c in failure_classes[:100]
                    ],
                ),
            )
        )
    return View(
        type="modal",
        callback_id=CLOSE_CALLBACK,
        title=_plain(f"Close {incident.reference}", 24),
        submit=_plain("Close", 24),
        close=_plain("Cancel", 24),
        private_metadata=action_value(incident),
        blocks=blocks,
    )


def reopen_modal(incident: Incident) -> View:
    """Asks why a mitigated incident reopens, and to which state."""
    return View(
        type="modal",
        callback_id=REOPEN_CALLBACK,
        title=_plain(f"Reopen {incident.reference}", 24),
        submit=_plain("Reopen", 24),
        close=_plain("Cancel", 24),
        private_metadata=action_value(incident),
        blocks=[
            InputBlock(
                block_id="reason",
                label=_plain("Why does it reopen?", 2000),
                element=PlainTextInputElement(
                    action_id="reason", multiline=True, max_length=UPDATE_MAX
                ),
            ),
            InputBlock(
                block_id="target",
                label=_plain("Back to", 2000),
                element=StaticSelectElement(
                    action_id="target",
                    options=[
                        Option(value="investigating", text=_plain("investigating", OPTION_MAX)),
                        Option(value="mitigating", text=_plain("mitigating", OPTION_MAX)),
                    ],
                    initial_option=Option(
                        value="investigating", text=_plain("investigating", OPTION_MAX)
                    ),
                ),
            ),
        ],
    )


def postmortem_link(url: str, first: bool) -> str:
    """The message that links a published post-mortem back into the channel."""
    verb = "is ready" if first else "was updated"
    return f":memo: The post-mortem {verb}: <{url}|open it>. Fill in the root causes and actions."


def as_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Blocks as the JSON Slack takes."""
    return [b.to_dict() for b in blocks]
