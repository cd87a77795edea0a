"""Events API: `app_home_opened` publishes that person's Home tab.

Published when someone opens it (no polling of every user), and at most once per person
every `HOME_MIN_SECONDS`: Slack sends the event again each time the tab is shown.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from firefighter.incidents.service import ROLES
from firefighter.slack.blocks.conversation_blocks import HomeState, home_view
from firefighter.slack.blocks.paging import home_oncall_line
from firefighter.slack.context import SlackContext
from firefighter.slack.outage import SLACK_FAILED, slack_error

log = logging.getLogger(__name__)

HOME_MIN_SECONDS = 5.0


def home_state(ctx: SlackContext, user_id: str) -> HomeState:
    """What `user_id` may see: open incidents (private ones only for members), and theirs."""
    visible = ctx.read.open_incidents(user_id, ctx.settings.severity_names)
    followups = ctx.read.owned_followups(user_id)
    mine = []
    for incident in visible:
        roles = [ROLES.get(r.role, r.role).lower() for r in incident.roles if r.user_id == user_id]
        if roles or incident.declarer == user_id:
            mine.append((incident, roles))
    return HomeState(
        user_id=user_id,
        open_incidents=visible,
        mine=mine,
        followups=followups,
        today=ctx.service.clock().astimezone(ctx.settings.zone).date(),
        base_url=ctx.settings.base_url,
        command=ctx.settings.command,
    )


def oncall_line(ctx: SlackContext, client: WebClient, user_id: str) -> str | None:
    """`You are on call for Payments until Tuesday 09:00.` (by the profile's e-mail), or None."""
    if ctx.oncall is None:
        return None
    try:
        profile = (client.users_info(user=user_id).get("user") or {}).get("profile") or {}
    except SLACK_FAILED:  # no e-mail to match: the Home tab goes without the line
        return None
    mine = ctx.oncall.mine(str(profile.get("email") or "") or None)
    return home_oncall_line(mine, ctx.settings.zone, ctx.service.clock())


def register(app: App, ctx: SlackContext) -> None:
    """Listen to `app_home_opened` on the Home tab."""
    last: dict[str, float] = {}
    lock = threading.Lock()

    @app.event("app_home_opened")
    def opened(ack: Ack, event: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = str(event.get("user") or "")
        if event.get("tab", "home") != "home" or not user_id:
            return
        now = time.monotonic()
        with lock:
            if now - last.get(user_id, -HOME_MIN_SECONDS) < HOME_MIN_SECONDS:
                return
            last[user_id] = now
        state = replace(home_state(ctx, user_id), oncall=oncall_line(ctx, client, user_id))
        view = home_view(state)
        try:
            client.views_publish(user_id=user_id, view=view)
        except SLACK_FAILED as error:
            log.warning("views.publish for %s: %s", user_id, slack_error(error))
