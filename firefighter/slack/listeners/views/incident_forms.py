"""Modal submissions: declare, close with a reason, reopen with a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from firefighter.incidents.errors import AlreadyProcessed, IncidentError, InvalidInput
from firefighter.slack.blocks.incident_blocks import parse_action_value
from firefighter.slack.blocks.modals import CLOSE_CALLBACK, DECLARE_CALLBACK, REOPEN_CALLBACK
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import form_errors, user_of
from firefighter.slack.listeners.refusals import FOREIGN_FORM, start_time

# The declare form's block for each field the core names in a refusal; the detection time,
# which the form does not ask, shows under the impact start.
DECLARE_BLOCKS = {
    "title": "title",
    "severity": "severity",
    "description": "description",
    "component": "component",
    "started_at": "started_at",
    "detected_at": "started_at",
}
# The form lists the choices, so it points at them instead of naming them all again.
IN_A_FORM = {"component": "Pick one of the listed components."}


def values_of(view: dict[str, Any]) -> dict[str, Any]:
    """Flatten `state.values` into {action_id: plain value}."""
    flat: dict[str, Any] = {}
    for actions in ((view.get("state") or {}).get("values") or {}).values():
        for action_id, state in (actions or {}).items():
            kind = state.get("type")
            if kind == "static_select":
                flat[action_id] = (state.get("selected_option") or {}).get("value")
            elif kind == "checkboxes":
                flat[action_id] = [o.get("value") for o in state.get("selected_options") or []]
            elif kind == "datetimepicker":
                flat[action_id] = state.get("selected_date_time")
            else:
                flat[action_id] = state.get("value")
    return flat


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the modals' submissions."""

    @app.view(DECLARE_CALLBACK)
    def declare(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack(**declare_submission(ctx, body, view))

    @app.view(CLOSE_CALLBACK)
    def close(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = values_of(view)
        ack(
            **_dialog(
                ctx,
                lambda incident_id, drawn: ctx.service.close(
                    incident_id,
                    actor=user_of(body),
                    reason=values.get("reason"),
                    failure_class=values.get("failure_class"),
                    expected_status=drawn,
                    request_key=f"view:{view.get('id')}",
                ),
                view,
                "reason",
            )
        )

    @app.view(REOPEN_CALLBACK)
    def reopen(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = values_of(view)
        ack(
            **_dialog(
                ctx,
                lambda incident_id, drawn: ctx.service.reopen(
                    incident_id,
                    reason=str(values.get("reason") or ""),
                    target=str(values.get("target") or "investigating"),
                    actor=user_of(body),
                    expected_status=drawn,
                    request_key=f"view:{view.get('id')}",
                ),
                view,
                "reason",
            )
        )


def _dialog(ctx: SlackContext, command: Any, view: dict[str, Any], block_id: str) -> dict[str, Any]:
    try:
        incident_id, drawn = parse_action_value(str(view.get("private_metadata") or ""))
        command(incident_id, drawn)
    except AlreadyProcessed:
        return {}
    except ValueError:
        return form_errors(block_id, FOREIGN_FORM)
    except IncidentError as error:
        return form_errors(block_id, ctx.said(error))
    return {}


def declare_submission(
    ctx: SlackContext,
    body: dict[str, Any],
    view: dict[str, Any],
    declare: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Validate the declare form and declare (with `declare`, e.g. from an alert card);
    errors go back into the modal."""
    values = values_of(view)
    severity = values.get("severity")
    if not severity:
        return form_errors("severity", "Pick a severity.")
    try:
        started_at = start_time(values.get("started_at"), ctx.service.clock())
    except ValueError as error:
        return form_errors("started_at", str(error))
    options = values.get("options") or []
    page: bool | None = None
    if "page_on" in values:
        page = "page" in (values.get("page_on") or [])
    elif "page" in (values.get("page") or []):
        page = True
    extra: dict[str, Any] = {"page": page} if declare is None and page is not None else {}
    try:
        (declare or ctx.service.declare)(
            **extra,
            title=str(values.get("title") or ""),
            severity=str(severity),
            description=str(values.get("description") or ""),
            component=values.get("component"),
            private="private" in options,
            drill="drill" in options,
            started_at=started_at,
            actor=user_of(body),
            request_key=f"view:{view.get('id')}",
        )
    except AlreadyProcessed:
        return {}
    except InvalidInput as error:
        block = DECLARE_BLOCKS.get(error.field or "", "title")
        return form_errors(block, IN_A_FORM.get(block, ctx.said(error)))
    except IncidentError as error:  # e.g. not allowed to declare
        return form_errors("title", ctx.said(error))
    return {}
