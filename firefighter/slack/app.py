"""The Bolt app: listeners wired to the service, signature verification always on."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, cast

from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from firefighter.db import unavailable
from firefighter.settings import ConfigError
from firefighter.slack.context import SlackContext
from firefighter.slack.identity import BotIdentity
from firefighter.slack.listeners import register_all
from firefighter.slack.outage import outage_answer


def create_bolt(
    ctx: SlackContext,
    *,
    process_before_response: bool = True,
    executor: Executor | None = None,
    identity: BotIdentity | None = None,
) -> App:
    """A Bolt app answering with `ctx`'s service and client (the root builds `ctx`).

    Listeners only do local work (one transaction) plus, for modals, `views.open`, so they
    finish quickly: running them before the response avoids Bolt's ack-polling thread.
    """
    secret = ctx.settings.slack_signing_secret
    client = ctx.client
    if not secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET: required; every request from Slack is verified with it "
            "(find it under Basic Information in your Slack app's settings)"
        )
    if not client.token:
        raise ConfigError(
            "SLACK_BOT_TOKEN: required; the bot token (xoxb-…) from OAuth & Permissions in "
            "your Slack app's settings"
        )
    # Who the bot is comes from `identity` (asked once, kept); Bolt's own way asks auth.test
    # on a fresh process's first request with no retry (see slack/identity.py).
    identity = identity or BotIdentity(client, client)
    app = App(
        # The token is the authorisation's; a client holding one too makes Bolt warn.
        client=WebClient(
            base_url=client.base_url, timeout=client.timeout, retry_handlers=client.retry_handlers
        ),
        # Bolt takes an `Authorize` object as it is (its annotation names only functions).
        authorize=cast(Callable[..., AuthorizeResult], identity),
        signing_secret=secret,
        process_before_response=process_before_response,
        request_verification_enabled=True,
        ignoring_self_events_enabled=True,
        # Button clicks acknowledge first and run on this pool (Bolt's lazy listeners).
        listener_executor=executor or ThreadPoolExecutor(max_workers=8, thread_name_prefix="lazy"),
    )
    register_all(app, ctx)
    app.error(answer_errors)
    return app


INTERNAL = (
    ":warning: FireFighter could not do that because of an error on its side; nothing was "
    "changed. Try again in a minute, and tell your FireFighter operators if it persists."
)


def answer_errors(
    error: Exception, body: Any, logger: logging.Logger, client: WebClient
) -> BoltResponse:
    """Never answer Slack with a 500: a short message for people, 400 for unreadable input.

    Every command is one transaction, so an error means nothing was written; when the
    database did not answer, the person is told so (not that their request was unreadable).
    """
    if unavailable(error):
        logger.warning("the database did not answer: %s", str(error).splitlines()[0][:300])
        status, text, kind = outage_answer(body, client)
        return BoltResponse(status=status, body=text, headers={"content-type": kind})
    if isinstance(body, dict) and isinstance(body.get("command"), str):
        logger.exception("command failed: %s", error)
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": INTERNAL}),
            headers={"content-type": "application/json;charset=utf-8"},
        )
    # Bolt reads payloads before any listener runs; a payload of the wrong shape fails there.
    logger.warning("could not handle a Slack request: %r", error)
    return BoltResponse(status=400, body="FireFighter could not read that request.")
