"""Block Kit for follow-ups: the list with its buttons, the add form, the reminder message."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from firefighter.incidents.followup_models import FOLLOWUP_TITLE_MAX, FollowUp
from firefighter.incidents.followup_reminders import OVERDUE, UNOWNED
from firefighter.incidents.models import Incident
from firefighter.incidents.read import FollowUpView, IncidentView
from firefighter.slack.blocks.common import MAX_BLOCKS, OPTION_MAX, md, modal, plain
from firefighter.slack.blocks.incident_blocks import title_line
from firefighter.slack.mrkdwn import escape, link
from firefighter.text import truncate

DONE_ACTION = "followup_done"
SNOOZE_ACTION = "followup_snooze"
ADD_ACTION = "followup_add"
ADD_CALLBACK = "followup_create_form"
SHORTCUT = "create_followup"
PICK_BLOCK = "incident"
OPTIONS_MAX = 100  # a static_select offers at most 100 options


def describe(followup: FollowUp | FollowUpView) -> str:
    """One line: title, owner, due date, status and Jira link, in mrkdwn."""
    parts = [f"*#{followup.id}* {escape(followup.title)}"]
    parts.append(f"<@{followup.owner}>" if followup.owner else "no owner")
    if followup.due:
        parts.append(f"due {followup.due.isoformat()}")
    parts.append(":white_check_mark: done" if not followup.is_open else "open")
    if followup.jira_key:
        parts.append(
            link(followup.jira_url, followup.jira_key or "")
            if followup.jira_url
            else followup.jira_key
        )
    return " · ".join(parts)


def done_button(followup: FollowUp | FollowUpView) -> ButtonElement:
    """The "Done" button of one follow-up."""
    return ButtonElement(
        text=plain("Done", 75), action_id=DONE_ACTION, value=str(followup.id), style="primary"
    )


def followup_list(
    incident: Incident | IncidentView, followups: Sequence[FollowUpView]
) -> list[Block]:
    """An incident's follow-ups, a "Done" button on each open one, and an "Add" button."""
    blocks: list[Block] = []
    open_count = sum(1 for f in followups if f.is_open)
    blocks.append(
        SectionBlock(
            text=md(f"*Follow-ups of {incident.reference}*: {open_count} open / {len(followups)}")
        )
    )
    # Room for the header and the Add button within Slack's 50 blocks.
    for followup in list(followups)[: MAX_BLOCKS - 2]:
        blocks.append(
            SectionBlock(
                text=md(describe(followup)),
                accessory=done_button(followup) if followup.is_open else None,
            )
        )
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(text=plain("Add", 75), action_id=ADD_ACTION, value=str(incident.id))
            ]
        )
    )
    return blocks


def _fields(title: str) -> list[Block]:
    return [
        InputBlock(
            block_id="title",
            label=plain("What needs doing?", 2000),
            element=PlainTextInputElement(
                action_id="title",
                # A message's first line can be long; cut it visibly rather than have Slack
                # refuse the whole form for an initial value over max_length.
                initial_value=truncate(title, FOLLOWUP_TITLE_MAX) or None,
                max_length=FOLLOWUP_TITLE_MAX,
            ),
        ),
        InputBlock(
            block_id="owner",
            label=plain("Owner", 2000),
            optional=True,
            element=UserSelectElement(action_id="owner"),
        ),
        InputBlock(
            block_id="due",
            label=plain("Due date", 2000),
            optional=True,
            element=DatePickerElement(action_id="due"),
        ),
    ]


def followup_modal(incident: Incident | IncidentView, title: str = "") -> View:
    """The "Add a follow-up" form (the Add button and the message shortcut open it)."""
    return modal(
        callback_id=ADD_CALLBACK,
        title=f"Follow-up {incident.reference}",
        submit="Add",
        private_metadata=str(incident.id),
        blocks=_fields(title),
    )


def followup_pick_modal(incidents: Sequence[IncidentView], title: str = "") -> View:
    """The same form with an incident to pick first: the shortcut used outside incidents.

    No incident in the private metadata: the submission reads it from the picker, and checks
    again that the person may see it.
    """
    options = [
        Option(value=str(i.id), text=plain(f"{i.severity} {title_line(i)}", OPTION_MAX))
        for i in incidents[:OPTIONS_MAX]
    ]
    picker = InputBlock(
        block_id=PICK_BLOCK,
        label=plain("Incident", 2000),
        element=StaticSelectElement(action_id=PICK_BLOCK, options=options),
    )
    return modal(
        callback_id=ADD_CALLBACK,
        title="Add a follow-up",
        submit="Add",
        private_metadata="",
        blocks=[picker, *_fields(title)],
    )


def reminder_text(followup: FollowUp, incident: Incident, reason: str, command: str) -> str:
    """The reminder's first sentence, in mrkdwn: due today, overdue, or nobody owns it
    (`command`: the slash command)."""
    about = escape(title_line(incident))
    if reason == UNOWNED:
        where = f" in <#{incident.channel_id}>" if incident.channel_id else ""
        return (
            f"A follow-up of *{about}* has no owner, and the post-mortem is out. Give it to "
            f"someone, or mark it done (`{command} followups`{where})."
        )
    if reason == OVERDUE and followup.due is not None:
        return f"Your follow-up of *{about}* was due on {followup.due.isoformat()}."
    return f"Your follow-up of *{about}* is due today."


def reminder_blocks(followup: FollowUp, text: str) -> list[Block]:
    """The owner's reminder: what is due, with "Done" and "Snooze a week"."""
    return [
        SectionBlock(text=md(text)),
        SectionBlock(text=md(describe(followup))),
        ActionsBlock(
            elements=[
                done_button(followup),
                ButtonElement(
                    text=plain("Snooze a week", 75),
                    action_id=SNOOZE_ACTION,
                    value=str(followup.id),
                ),
            ]
        ),
    ]
