"""The worker: the outbox dispatcher with every adapter's handlers registered."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from firefighter.bootstrap import Core
from firefighter.gameday import slack_effects as gameday_effects
from firefighter.outbox import Dispatcher, Message
from firefighter.slack import digest as slack_digest
from firefighter.slack import reminders as slack_reminders
from firefighter.slack.client import make_client
from firefighter.slack.effects import SlackEffects

log = logging.getLogger(__name__)


def register_all(dispatcher: Dispatcher, core: Core, client: WebClient) -> None:
    """Register every adapter's handlers: Slack effects, post-mortems, digest, reminders."""
    SlackEffects(core, client).register(dispatcher)
    register_postmortems(dispatcher, core)
    slack_digest.register(dispatcher, core, client)
    slack_reminders.register(dispatcher, core, client)
    gameday_effects.register(dispatcher, core, client)


def register_for_export(dispatcher: Dispatcher, core: Core) -> None:
    """Handlers for `postmortem export`: all of them when Slack is configured (the
    incident's earlier Slack effects are delivered first), else the post-mortem one alone."""
    if core.settings.slack_bot_token:
        register_all(dispatcher, core, make_client(core.settings))
    else:
        register_postmortems(dispatcher, core)


def build_dispatcher(core: Core, client: WebClient, **kwargs: object) -> Dispatcher:
    """A dispatcher that delivers every effect, and tells the channel about dead letters."""
    dispatcher = core.dispatcher(**kwargs)
    register_all(dispatcher, core, client)

    def tell_channel(message: Message, error: str) -> None:
        incident_id = message.payload.get("incident_id")
        if incident_id is None or message.kind.startswith("incident.notify"):
            return
        core.service.notify(
            int(incident_id),
            f":warning: FireFighter could not finish `{message.kind}` after several tries "
            f"({error[:300]}). An operator can retry it with `firefighter outbox retry`.",
            key=f"dead:{message.id}",
        )

    dispatcher.on_dead = tell_channel
    return dispatcher


def register_postmortems(dispatcher: Dispatcher, core: Core) -> None:
    """Register the post-mortem export handler."""
    from firefighter.postmortem.handler import register

    register(dispatcher, core)


BATCH = 2
"""Items one delivery thread leases at a time: few, so that one slow Slack answer holds up
little behind it and leases do not run out while their items wait."""


def start_threads(
    dispatcher: Dispatcher, stop: threading.Event, count: int
) -> list[threading.Thread]:
    """Deliver with `count` daemon threads sharing one dispatcher until `stop` is set.

    A slow Slack answer, or an incident waiting out its Retry-After, then holds up one thread
    instead of every other incident's effects; per-incident order is the outbox's.
    """
    threads = [
        threading.Thread(
            target=dispatcher.run_forever,
            args=(stop,),
            kwargs={"limit": BATCH},
            name=f"outbox-worker-{n}",
            daemon=True,
        )
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    return threads
