"""The worker: the outbox dispatcher with every adapter's handlers registered."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from firefighter.bootstrap import Core
from firefighter.incidents.outbox import Dispatcher, Message
from firefighter.slack.effects import SlackEffects

log = logging.getLogger(__name__)


def build_dispatcher(core: Core, client: WebClient, **kwargs: object) -> Dispatcher:
    """A dispatcher that delivers Slack effects and post-mortem exports."""
    dispatcher = core.dispatcher(**kwargs)
    SlackEffects(core, client).register(dispatcher)
    register_postmortems(dispatcher, core)

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
