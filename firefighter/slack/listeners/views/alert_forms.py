"""The triage forms' submissions: declare from alerts, attach them, dismiss them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from firefighter.incidents.alerts import AlertService
from firefighter.incidents.errors import AlreadyProcessed, IncidentError
from firefighter.slack.blocks.alert_cards import (
    ATTACH_CALLBACK,
    DECLARE_CALLBACK,
    DISMISS_CALLBACK,
    parse_group_value,
)
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import form_errors, user_of
from firefighter.slack.listeners.refusals import FOREIGN_FORM, record_id
from firefighter.slack.listeners.views.incident_forms import declare_submission, values_of

NOT_SET_UP = "Alert intake is not set up on this FireFighter."


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the three forms."""

    @app.view(DECLARE_CALLBACK)
    def declare(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            group_id, round_ = parse_group_value(str(view.get("private_metadata") or ""))
        except ValueError:
            ack(**form_errors("title", "This form is not one FireFighter opened."))
            return
        if ctx.alerts is None:
            ack(**form_errors("title", NOT_SET_UP))
            return
        ack(
            **declare_submission(
                ctx, body, view, declare=partial(ctx.alerts.declare_group, group_id, round_)
            )
        )

    @app.view(ATTACH_CALLBACK)
    def attach(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = values_of(view)
        if not values.get("incident"):
            ack(**form_errors("incident", "Pick the incident these alerts belong to."))
            return
        ack(
            **_run(
                ctx,
                view,
                "incident",
                lambda alerts, group_id, round_: alerts.attach(
                    group_id,
                    round_,
                    record_id(values["incident"]),
                    actor=user_of(body),
                    request_key=f"view:{view.get('id')}",
                ),
            )
        )

    @app.view(DISMISS_CALLBACK)
    def dismiss(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = values_of(view)
        ack(
            **_run(
                ctx,
                view,
                "reason",
                lambda alerts, group_id, round_: alerts.dismiss(
                    group_id,
                    round_,
                    actor=user_of(body),
                    reason=values.get("reason"),
                    request_key=f"view:{view.get('id')}",
                ),
            )
        )


def _run(
    ctx: SlackContext,
    view: dict[str, Any],
    block_id: str,
    command: Callable[[AlertService, int, int], Any],
) -> dict[str, Any]:
    if ctx.alerts is None:
        return form_errors(block_id, NOT_SET_UP)
    try:
        group_id, round_ = parse_group_value(str(view.get("private_metadata") or ""))
        command(ctx.alerts, group_id, round_)
    except AlreadyProcessed:
        return {}
    except ValueError:
        return form_errors(block_id, FOREIGN_FORM)
    except IncidentError as error:
        return form_errors(block_id, ctx.said(error))
    return {}
