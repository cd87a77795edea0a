"""The "Post an update" form a nudge opens."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from firefighter.incidents.errors import AlreadyProcessed, IncidentError
from firefighter.slack.blocks.modals import UPDATE_CALLBACK
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import form_errors, user_of
from firefighter.slack.listeners.refusals import record_id


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the update form's submissions."""

    @app.view(UPDATE_CALLBACK)
    def update_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack(**update_submission(ctx, body, view))


def update_submission(
    ctx: SlackContext, body: dict[str, Any], view: dict[str, Any]
) -> dict[str, Any]:
    """Post the update typed in the modal; refusals go back into the modal."""
    values = (view.get("state") or {}).get("values") or {}
    text = str(((values.get("update") or {}).get("update") or {}).get("value") or "")
    try:
        incident_id = record_id(view.get("private_metadata"))
        ctx.service.add_update(
            incident_id, text, actor=user_of(body), request_key=f"view:{view.get('id')}"
        )
    except AlreadyProcessed:
        return {}
    except ValueError:
        return form_errors(
            "update", "This form is not one FireFighter drew; use the button in the channel."
        )
    except IncidentError as error:
        return form_errors("update", ctx.said(error))
    return {}
