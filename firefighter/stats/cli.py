"""`firefighter stats` and `firefighter digest`, mounted on the main CLI by `register(app)`."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from firefighter.bootstrap import Core
from firefighter.db import transaction

app = typer.Typer(help="Metrics and the managers' digest.", no_args_is_help=True)


@app.command("stats")
def stats(
    days: Annotated[int, typer.Option(help="Length of the period, in days.", min=1)] = 7,
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Print the incident metrics of the last N days, against the N days before."""
    # The main CLI imports this module to mount it; importing it back at call time avoids
    # the cycle.
    from firefighter.cli import fail, friendly, open_core, out
    from firefighter.stats import measure
    from firefighter.stats.report import metrics_json, metrics_tables

    @friendly
    def run() -> None:
        if format not in ("table", "json"):
            raise fail("--format is table or json.", 2)
        core = open_core()
        try:
            metrics = measure(core, days=days)
        finally:
            core.close()
        if format == "json":
            sys.stdout.write(json.dumps(metrics_json(metrics), indent=2) + "\n")
        else:
            out.print(metrics_tables(metrics))

    run()


@app.command("digest")
def digest(
    days: Annotated[int, typer.Option(help="Length of the period, in days.", min=1)] = 7,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Slack.", min=1)] = 60.0,
) -> None:
    """Post the digest of the last N days to the digest channel now."""
    from firefighter.cli import fail, friendly, open_core, out

    @friendly
    def run() -> str:
        core = open_core()
        try:
            channel = core.settings.announce_digest_channel
            if not channel:
                raise fail(
                    "no digest channel: set FIREFIGHTER_DIGEST_CHANNEL "
                    "(or FIREFIGHTER_INCIDENTS_CHANNEL)."
                )
            if not core.settings.slack_bot_token:
                raise fail("SLACK_BOT_TOKEN is not set; the digest is posted by the bot.")
            error = post_digest_now(core, days=days, timeout=timeout)
            if error:
                raise fail(error)
            return channel
        finally:
            core.close()

    channel = run()
    out.print(f"Digest of the last {days} days posted to channel {channel}.", highlight=False)


def register(root: typer.Typer) -> None:
    """Mount `stats` and `digest` as top-level commands of `root`."""
    root.command("stats")(stats)
    root.command("digest")(digest)


def post_digest_now(core: Core, *, days: int, timeout: float = 60.0) -> str | None:
    """Queue a digest through the outbox and deliver it in-process; None, or why it failed."""
    from firefighter.schedules import enqueue_digest
    from firefighter.slack.client import make_client
    from firefighter.slack.digest import register as register_digest

    now = core.service.clock()
    with transaction(core.factory) as session:
        item_id = enqueue_digest(session, end=now, now=now, days=days, reason="cli")
    dispatcher = core.dispatcher()
    register_digest(dispatcher, core, make_client(core.settings))
    delivery = dispatcher.deliver_now(item_id, timeout, poll_seconds=0.5)
    if delivery.delivered:
        return None
    if delivery.state == "dead":
        return f"the digest could not be posted: {delivery.last_error}"
    reason = f" (last error: {delivery.last_error})" if delivery.last_error else ""
    return f"the digest is not posted after {timeout:g} s{reason}; the worker will retry it"
