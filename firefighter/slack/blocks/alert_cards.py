"""Alert triage: the card in the alerts channel, its Attach and Dismiss forms, the notices.

The buttons carry `<group id>:<round>`: a click on a card drawn for an earlier round (the
group was dismissed and fired again since) is refused instead of acting on the new alerts.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from firefighter.incidents.alert_models import ATTACHED, DECLARED, DISMISSED, TRIAGE
from firefighter.incidents.alerts import CardState
from firefighter.incidents.models import Incident
from firefighter.incidents.read import IncidentView
from firefighter.slack.blocks.common import FIELD_MAX, HEADER_MAX, OPTION_MAX, md, modal, plain
from firefighter.slack.blocks.incident_blocks import STATUS_ACTION, action_value, title_line
from firefighter.slack.mrkdwn import escape, link, slack_date, user
from firefighter.text import truncate

DECLARE_ACTION = "alert_declare"
ATTACH_ACTION = "alert_attach"
DISMISS_ACTION = "alert_dismiss"
DECLARE_CALLBACK = "alert_declare"
ATTACH_CALLBACK = "alert_attach"
DISMISS_CALLBACK = "alert_dismiss"
SOURCE_NAMES = {
    "alertmanager": "Alertmanager",
    "grafana": "Grafana",
    "datadog": "Datadog",
    "pagerduty": "PagerDuty",
    "generic": "Webhook",
}


def group_value(state: CardState) -> str:
    """What the buttons carry: the group and the round the card was drawn for."""
    return f"{state.group_id}:{state.round}"


def parse_group_value(value: str) -> tuple[int, int]:
    """(group id, round) from a button value or private_metadata; ValueError if malformed."""
    head, _, round_ = value.partition(":")
    return int(head), int(round_ or 1)


def _labels(labels: dict[str, object], limit: int = 12) -> str:
    shown = [f"`{escape(str(k))}={escape(str(v))}`" for k, v in sorted(labels.items())[:limit]]
    more = len(labels) - limit
    return " ".join(shown) + (f" …and {more} more" if more > 0 else "") if shown else "—"


def counts_line(firing: int, resolved: int) -> str:
    """`3 alerts firing, 1 resolved`."""
    noun = "alert" if firing == 1 else "alerts"
    return f"{firing} {noun} firing, {resolved} resolved"


def _decision(state: CardState) -> str | None:
    incident = state.incident_reference or ""
    where = f" <#{state.incident_channel}>" if state.incident_channel else ""
    who = f" by {user(state.decided_by)}" if state.decided_by else ""
    if state.state == DECLARED:
        return f":fire: Declared as *{incident}*{where}{who}."
    if state.state == ATTACHED:
        return f":link: Attached to *{incident}*{where}{who}."
    if state.state == DISMISSED:
        reason = f": {escape(state.dismiss_reason)}" if state.dismiss_reason else ""
        return f":zzz: Dismissed{who}{reason}. Quiet until these alerts resolve and fire again."
    return None


def triage_card(state: CardState) -> list[Block]:
    """The card: title, source, labels, count, first and last seen, link, and the buttons."""
    source = SOURCE_NAMES.get(state.source, state.source)
    icon = ":rotating_light:" if state.firing else ":white_check_mark:"
    fields = [
        f"*Source*\n{source}",
        f"*Alerts*\n{counts_line(state.firing, state.resolved)}",
        f"*Count*\n{state.count} notification{'s' if state.count != 1 else ''}",
        f"*First seen*\n{slack_date(state.first_seen)}",
        f"*Last seen*\n{slack_date(state.last_seen)}",
    ]
    if state.link:
        fields.append("*Link*\n" + link(state.link, f"Open in {source}"))
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"{icon} {state.title}", HEADER_MAX)),
        SectionBlock(fields=[md(f, FIELD_MAX) for f in fields]),
        SectionBlock(text=md(f"*Labels* {_labels(state.labels)}")),
    ]
    decision = _decision(state)
    if state.state == TRIAGE:
        value = group_value(state)
        blocks.append(
            ActionsBlock(
                block_id=f"alert-actions:{value}",
                elements=[
                    ButtonElement(
                        text=plain("Declare", OPTION_MAX),
                        action_id=DECLARE_ACTION,
                        value=value,
                        style="danger",
                    ),
                    ButtonElement(
                        text=plain("Attach", OPTION_MAX), action_id=ATTACH_ACTION, value=value
                    ),
                    ButtonElement(
                        text=plain("Dismiss", OPTION_MAX), action_id=DISMISS_ACTION, value=value
                    ),
                ],
            )
        )
    elif decision:
        blocks.append(ContextBlock(elements=[md(decision)]))
    return blocks


def card_text(state: CardState) -> str:
    """The notification text of the card."""
    source = SOURCE_NAMES.get(state.source, state.source)
    return truncate(
        f"{source} alert: {escape(state.title)} ({counts_line(state.firing, state.resolved)})",
        300,
    )


def attach_modal(state: CardState, incidents: Sequence[IncidentView]) -> View:
    """Pick the open incident the alerts belong to."""
    options = [
        Option(
            value=str(i.id),
            text=plain(f"{i.severity} {title_line(i)}", OPTION_MAX),
        )
        for i in incidents[:100]
    ]
    blocks: list[Block] = [SectionBlock(text=md(f"*{escape(state.title)}*"))]
    if options:
        blocks.append(
            InputBlock(
                block_id="incident",
                label=plain("Attach to", 2000),
                element=StaticSelectElement(action_id="incident", options=options),
            )
        )
    else:
        blocks.append(SectionBlock(text=md("There is no open incident to attach these to.")))
    return modal(
        callback_id=ATTACH_CALLBACK,
        title="Attach alerts",
        submit="Attach",
        private_metadata=group_value(state),
        blocks=blocks,
    )


def dismiss_modal(state: CardState) -> View:
    """Dismiss with an optional reason."""
    return modal(
        callback_id=DISMISS_CALLBACK,
        title="Dismiss alerts",
        submit="Dismiss",
        private_metadata=group_value(state),
        blocks=[
            SectionBlock(
                text=md(
                    f"*{escape(state.title)}* stays quiet until its alerts resolve and fire again."
                )
            ),
            InputBlock(
                block_id="reason",
                label=plain("Why? (optional)", 2000),
                optional=True,
                element=PlainTextInputElement(action_id="reason", max_length=500),
            ),
        ],
    )


def all_resolved(incident: Incident, resolved: int, can_mitigate: bool) -> list[Block]:
    """The notice that every linked alert resolved; the bot never moves the incident itself."""
    text = (
        f":white_check_mark: All {resolved} alerts linked to {incident.reference} have resolved."
        if resolved != 1
        else f":white_check_mark: The alert linked to {incident.reference} has resolved."
    )
    if can_mitigate:
        text += " If the impact is over too, mark it mitigated."
    blocks: list[Block] = [SectionBlock(text=md(text))]
    if can_mitigate:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=plain("mitigated", OPTION_MAX),
                        action_id=f"{STATUS_ACTION}:mitigated",
                        value=action_value(incident),
                        style="primary",
                    )
                ]
            )
        )
    return blocks
