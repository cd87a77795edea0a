"""`firefighter stats` and `firefighter digest`, mounted on the main CLI by `register(app)`."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from firefighter.bootstrap import Core, register_digest
from firefighter.cli.common import core, fail, out
from firefighter.db import transaction
from firefighter.schedules import enqueue_digest
from firefighter.slack.client import make_client
from firefighter.stats import measure
from firefighter.stats.report import metrics_json, metrics_tables

MAX_DAYS = 3660
"""Ten years: a period, and the one before it, that dates can still hold."""


def checked_days(days: int) -> int:
    """`--days` within 1 and MAX_DAYS, or a one-line refusal (exit code 2)."""
    if not 1 <= days <= MAX_DAYS:
        raise fail(f"--days {days} is out of range; use 1 to {MAX_DAYS} (ten years).", 2)
    return days


def stats(
    days: Annotated[int, typer.Option(help=f"Length of the period, in days (1-{MAX_DAYS}).")] = 7,
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Print the incident metrics of the last N days, against the N days before."""
    if format not in ("table", "json"):
        raise fail("--format is table or json.", 2)
    checked_days(days)
    with core() as opened:
        metrics = measure(opened.factory, opened.settings, now=opened.service.clock(), days=days)
    if format == "json":
        sys.stdout.write(json.dumps(metrics_json(metrics), indent=2) + "\n")
        return
    quiet = not (
        metrics.current.declared_total
        or metrics.previous.declared_total
        or metrics.current.drills
        or metrics.open_total
        or metrics.followups.overdue
    )
    if quiet:
        # Tables of zeros and empty headers would say the same thing less clearly.
        out.print(
            f"No incidents in the last {days} days, nor in the {days} before, and none open.",
            highlight=False,
        )
        return
    out.print(metrics_tables(metrics))


def digest(
    days: Annotated[int, typer.Option(help=f"Length of the period, in days (1-{MAX_DAYS}).")] = 7,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Slack.", min=1)] = 60.0,
) -> None:
    """Post the digest of the last N days to the digest channel now."""
    checked_days(days)
    with core() as opened:
        channel = opened.settings.announce_digest_channel
        if not channel:
            raise fail(
                "no digest channel: set FIREFIGHTER_DIGEST_CHANNEL "
                "(or FIREFIGHTER_INCIDENTS_CHANNEL)."
            )
        if not opened.settings.slack_bot_token:
            raise fail("SLACK_BOT_TOKEN is not set; the digest is posted by the bot.")
        error = post_digest_now(opened, days=days, timeout=timeout)
        if error:
            raise fail(error)
    out.print(f"Digest of the last {days} days posted to channel {channel}.", highlight=False)


def register(root: typer.Typer) -> None:
    """Mount `stats` and `digest` as top-level commands of `root`."""
    root.command("stats")(stats)
    root.command("digest")(digest)


def post_digest_now(core: Core, *, days: int, timeout: float = 60.0) -> str | None:
    """Queue a digest through the outbox and deliver it in-process; None, or why it failed."""
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
