"""The nudges' buttons and menu: post an update (modal), snooze, pick the failure class."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter.incidents.errors import AlreadyProcessed, IncidentError, NotFound
from firefighter.incidents.models import Incident
from firefighter.slack import reminders
from firefighter.slack.context import SlackContext

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the reminder buttons, the update modal and the failure-class menu."""

    def acknowledge(ack: Ack) -> None:
        ack()

    def post_update(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        try:
            incident = _incident(ctx, action.get("value"))
        except IncidentError as error:
            _tell(respond, f":warning: {error}")
            return
        try:
            client.views_open(
                trigger_id=str(body.get("trigger_id") or ""), view=reminders.update_modal(incident)
            )
        except SlackApiError as error:
            log.warning("views.open failed: %s", error.response.get("error"))
            _tell(respond, "Slack did not open the form in time; click again.")

    def snooze(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        minutes = ctx.settings.snooze_minutes
        user_id = _user(body)
        try:
            incident = _incident(ctx, action.get("value"))
            ctx.service.snooze_reminders(
                incident.id, minutes=minutes, actor=user_id, request_key=_key(body, action)
            )
        except AlreadyProcessed:
            return
        except IncidentError as error:
            _tell(respond, f":warning: {error}")
            return
        # Replacing the nudge removes its buttons: the snooze is visible to everyone.
        _replace(
            respond,
            f":zzz: Update reminders for {incident.reference} snoozed for {minutes} min "
            f"by <@{user_id}>.",
        )

    def failure_class(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        chosen = str((action.get("selected_option") or {}).get("value") or "")
        block_id = str(action.get("block_id") or "")
        user_id = _user(body)
        try:
            incident = _incident(ctx, block_id.removeprefix(f"{reminders.FAILURE_CLASS_BLOCK}:"))
            ctx.service.set_failure_class(
                incident.id, chosen, actor=user_id, request_key=_key(body, action)
            )
        except AlreadyProcessed:
            return
        except IncidentError as error:
            _tell(respond, f":warning: {error}")
            return
        _replace(
            respond,
            f":mag: {incident.reference} is classed as *{ctx.service.failure_class(chosen)}* "
            f"(by <@{user_id}>).",
        )

    app.action(reminders.UPDATE_ACTION)(ack=acknowledge, lazy=[post_update])
    app.action(reminders.SNOOZE_ACTION)(ack=acknowledge, lazy=[snooze])
    app.action(reminders.FAILURE_CLASS_ACTION)(ack=acknowledge, lazy=[failure_class])

    @app.view(reminders.UPDATE_CALLBACK)
    def update_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack(**update_submission(ctx, body, view))


def update_submission(
    ctx: SlackContext, body: dict[str, Any], view: dict[str, Any]
) -> dict[str, Any]:
    """Post the update typed in the modal; refusals go back into the modal."""
    values = (view.get("state") or {}).get("values") or {}
    text = str(((values.get("update") or {}).get("update") or {}).get("value") or "")
    try:
        incident_id = int(str(view.get("private_metadata") or ""))
        ctx.service.add_update(
            incident_id, text, actor=_user(body), request_key=f"view:{view.get('id')}"
        )
    except AlreadyProcessed:
        return {}
    except ValueError:
        return _errors("This form is not one FireFighter drew; use the button in the channel.")
    except IncidentError as error:
        return _errors(str(error))
    return {}


def _errors(message: str) -> dict[str, Any]:
    return {"response_action": "errors", "errors": {"update": message[:150]}}


def _incident(ctx: SlackContext, value: Any) -> Incident:
    try:
        incident_id = int(str(value or ""))
    except ValueError:
        raise NotFound("That button is not one FireFighter drew.") from None
    with ctx.core.factory() as session:
        incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"There is no incident INC-{incident_id}.")
    return incident


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _key(body: dict[str, Any], action: dict[str, Any]) -> str:
    # The same click delivered twice carries the same user, action and action_ts.
    return f"action:{_user(body)}:{action.get('action_id')}:{action.get('action_ts')}"


def _tell(respond: Respond, text: str) -> None:
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:  # an expired response_url must not turn into an error page
        log.warning("could not answer through response_url: %s", text)


def _replace(respond: Respond, text: str) -> None:
    try:
        respond(text=text, replace_original=True)
    except Exception:  # the change is made; only the message could not be redrawn
        log.warning("could not replace the reminder message: %s", text)
