"""The bot's forms: declare, close, reopen and post an update."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DateTimePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from firefighter.incidents.models import TITLE_MAX, UPDATE_MAX, Incident
from firefighter.incidents.read import IncidentView
from firefighter.incidents.service import CLOSURE_REASONS
from firefighter.settings import Severity
from firefighter.slack.blocks.common import OPTION_MAX, md, modal, plain
from firefighter.slack.blocks.incident_blocks import action_value, title_line
from firefighter.slack.mrkdwn import escape
from firefighter.text import truncate

DECLARE_CALLBACK = "declare"
CLOSE_CALLBACK = "close"
REOPEN_CALLBACK = "reopen"
UPDATE_CALLBACK = "reminder_update"


def _severity_options(severities: Sequence[Severity]) -> list[Option]:
    return [
        Option(value=s.name, text=plain(f"{s.name} — {s.description}", OPTION_MAX))
        for s in severities
    ]


def declare_modal(
    *,
    title: str,
    severities: Sequence[Severity],
    components: Sequence[str],
    channel_id: str | None = None,
    drill: bool = False,
    description: str = "",
    started_at: datetime | None = None,
    callback_id: str = DECLARE_CALLBACK,
    metadata: str | None = None,
    paging: tuple[bool, str] | None = None,
) -> View:
    """The declare form, prefilled with the title typed after `declare` (or `drill`), or
    with what an alert says (`description`, `started_at`, and its own callback)."""
    drill_option = Option(
        value="drill",
        text=plain("This is a drill", OPTION_MAX),
        description=plain("drill- channel, Game Day channel only, no metrics", OPTION_MAX),
    )
    blocks: list[Block] = [
        InputBlock(
            block_id="title",
            label=plain("Title", 2000),
            element=PlainTextInputElement(
                action_id="title",
                initial_value=truncate(title, TITLE_MAX) or None,
                max_length=TITLE_MAX,
                placeholder=plain("What is broken, in one line", 150),
            ),
        ),
        InputBlock(
            block_id="severity",
            label=plain("Severity", 2000),
            element=StaticSelectElement(
                action_id="severity", options=_severity_options(severities)
            ),
        ),
        InputBlock(
            block_id="description",
            label=plain("Description", 2000),
            optional=True,
            element=PlainTextInputElement(
                action_id="description",
                multiline=True,
                max_length=3000,
                initial_value=truncate(description, 3000) or None,
                placeholder=plain("Impact, symptoms, what you know so far", 150),
            ),
        ),
    ]
    if components:
        blocks.append(
            InputBlock(
                block_id="component",
                label=plain("Component", 2000),
                optional=True,
                element=StaticSelectElement(
                    action_id="component",
                    options=[Option(value=c, text=plain(c, OPTION_MAX)) for c in components[:100]],
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id="started_at",
            label=plain("Impact started at", 2000),
            optional=True,
            hint=plain("Leave empty if it started when you noticed it.", 150),
            element=DateTimePickerElement(
                action_id="started_at",
                initial_date_time=int(started_at.timestamp()) if started_at else None,
            ),
        ),
        InputBlock(
            block_id="options",
            label=plain("Options", 2000),
            optional=True,
            element=CheckboxesElement(
                action_id="options",
                options=[
                    Option(
                        value="private",
                        text=plain("Private incident", OPTION_MAX),
                        description=plain("Private channel, not announced", OPTION_MAX),
                    ),
                    drill_option,
                ],
                initial_options=[drill_option] if drill else None,
            ),
        ),
    ]
    if paging is not None and not drill:
        blocks.append(page_checkbox(*paging))
    return modal(
        callback_id=callback_id,
        title="Declare an incident",
        submit="Declare",
        private_metadata=metadata or json.dumps({"channel_id": channel_id}),
        blocks=blocks,
    )


def page_checkbox(ticked: bool, hint: str) -> InputBlock:
    """ "Page the on-call": ticked where a rule pages anyway (unticking then opts out)."""
    option = Option(
        value="page",
        text=plain("Page the on-call now", OPTION_MAX),
        description=plain(hint, OPTION_MAX),
    )
    return InputBlock(
        block_id="paging",
        label=plain("Paging", 2000),
        optional=True,
        element=CheckboxesElement(
            # The action id says how the box was drawn: unticking a ticked box opts out.
            action_id="page_on" if ticked else "page",
            options=[option],
            initial_options=[option] if ticked else None,
        ),
    )


def close_modal(incident: Incident | IncidentView, failure_classes: Sequence[str] = ()) -> View:
    """Asks why an incident closes before it was mitigated, and where the failure came from."""
    options = [
        Option(value=r, text=plain(r.replace("_", " "), OPTION_MAX)) for r in CLOSURE_REASONS
    ]
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f"*{escape(title_line(incident))}* is {incident.status}. Closing it before "
                "it is mitigated needs a reason."
            )
        ),
        InputBlock(
            block_id="reason",
            label=plain("Closure reason", 2000),
            element=StaticSelectElement(action_id="reason", options=options),
        ),
    ]
    if failure_classes:
        blocks.append(
            InputBlock(
                block_id="failure_class",
                label=plain("Failure class", 2000),
                optional=True,
                hint=plain("Where did the failure come from? It feeds the weekly digest.", 150),
                element=StaticSelectElement(
                    action_id="failure_class",
                    options=[
                        Option(value=c, text=plain(c, OPTION_MAX)) for c in failure_classes[:100]
                    ],
                ),
            )
        )
    return modal(
        callback_id=CLOSE_CALLBACK,
        title=f"Close {incident.reference}",
        submit="Close",
        private_metadata=action_value(incident),
        blocks=blocks,
    )


def reopen_modal(incident: Incident | IncidentView) -> View:
    """Asks why a mitigated incident reopens, and to which state."""
    return modal(
        callback_id=REOPEN_CALLBACK,
        title=f"Reopen {incident.reference}",
        submit="Reopen",
        private_metadata=action_value(incident),
        blocks=[
            InputBlock(
                block_id="reason",
                label=plain("Why does it reopen?", 2000),
                element=PlainTextInputElement(
                    action_id="reason", multiline=True, max_length=UPDATE_MAX
                ),
            ),
            InputBlock(
                block_id="target",
                label=plain("Back to", 2000),
                element=StaticSelectElement(
                    action_id="target",
                    options=[
                        Option(value="investigating", text=plain("investigating", OPTION_MAX)),
                        Option(value="mitigating", text=plain("mitigating", OPTION_MAX)),
                    ],
                    initial_option=Option(
                        value="investigating", text=plain("investigating", OPTION_MAX)
                    ),
                ),
            ),
        ],
    )


def update_modal(incident: Incident | IncidentView) -> View:
    """The "Post an update" form."""
    return modal(
        callback_id=UPDATE_CALLBACK,
        title=f"Update {incident.reference}",
        submit="Post",
        private_metadata=str(incident.id),
        blocks=[
            InputBlock(
                block_id="update",
                label=plain("What changed?", 2000),
                element=PlainTextInputElement(
                    action_id="update",
                    multiline=True,
                    max_length=UPDATE_MAX,
                    placeholder=plain("Impact, what was tried, what comes next", 150),
                ),
            )
        ],
    )
