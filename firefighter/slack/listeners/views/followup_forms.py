"""The "Add a follow-up" form's submission."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App

from firefighter.incidents.errors import AlreadyProcessed, IncidentError, InvalidInput, NotFound
from firefighter.slack.blocks.followup_blocks import ADD_CALLBACK, PICK_BLOCK
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import form_errors, user_of
from firefighter.slack.listeners.refusals import record_id


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the follow-up form."""

    @app.view(ADD_CALLBACK)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack(**submission(ctx, body, view))


def _state(view: dict[str, Any], block: str) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    return dict((values.get(block) or {}).get(block) or {})


def _incident_id(ctx: SlackContext, view: dict[str, Any], user_id: str) -> int:
    """The form's incident: fixed in the metadata, or picked (the shortcut outside incidents).

    ValueError for a form FireFighter did not draw; NotFound for an incident this person may
    not see, since a forged picker value must not reach a private incident.
    """
    fixed = str(view.get("private_metadata") or "")
    if fixed:
        return record_id(fixed)
    picked = (_state(view, PICK_BLOCK).get("selected_option") or {}).get("value")
    if picked is None:
        raise ValueError("no incident picked")
    incident_id = record_id(picked)
    return ctx.read.visible_incident(incident_id, user_id).id


def submission(ctx: SlackContext, body: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    """Add the follow-up typed in the form; refusals show under the field concerned."""
    if ctx.followups is None:
        return form_errors("title", "Follow-ups are not available in this FireFighter.")
    title = str(_state(view, "title").get("value") or "")
    owner = _state(view, "owner").get("selected_user") or None
    raw_due = _state(view, "due").get("selected_date")
    picking = not view.get("private_metadata")
    try:
        incident_id = _incident_id(ctx, view, user_of(body))
        due = date.fromisoformat(str(raw_due)) if raw_due else None
    except NotFound as error:
        return form_errors(PICK_BLOCK, ctx.said(error))
    except ValueError:
        if picking:
            return form_errors(PICK_BLOCK, "Pick the incident this follow-up belongs to.")
        return form_errors("title", "This form is not one FireFighter drew; open it again.")
    try:
        ctx.followups.add(
            incident_id,
            title,
            actor=user_of(body),
            owner=str(owner) if owner else None,
            due=due,
            request_key=f"view:{view.get('id')}",
        )
    except AlreadyProcessed:
        return {}
    except InvalidInput as error:
        # The form's blocks are named after the fields the core names.
        return form_errors(error.field or "title", ctx.said(error))
    except IncidentError as error:
        return form_errors("title", ctx.said(error))
    return {}
