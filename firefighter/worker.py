"""The worker: the outbox dispatcher with every adapter's handlers registered."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from firefighter.bootstrap import Core
from firefighter.gameday import slack_effects as gameday_effects
from firefighter.incidents.outbox import Dispatcher, Message
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


def start_in_thread(dispatcher: Dispatcher) -> tuple[threading.Thread, threading.Event]:
    """Run the dispatcher in a daemon thread; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=dispatcher.run_forever, args=(stop,), name="outbox-worker", daemon=True
    )
    thread.start()
    return thread, stop
