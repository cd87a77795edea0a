"""`/incident stats [7d|30d|90d]`: the metrics, ephemerally."""

from __future__ import annotations

from typing import Any

from firefighter.slack.blocks.common import as_dicts
from firefighter.slack.blocks.stats import fallback_text, stats_blocks
from firefighter.slack.context import SlackContext
from firefighter.stats import PeriodError, measure, parse_period


def stats_reply(ctx: SlackContext, text_args: str) -> tuple[str, list[dict[str, Any]]]:
    """The ephemeral answer to `/incident stats [7d|30d|90d]`: fallback text and blocks."""
    try:
        days = parse_period(text_args)
    except PeriodError as error:
        return f":warning: {error}", []
    metrics = measure(ctx.service.factory, ctx.settings, now=ctx.service.clock(), days=days)
    zone = ctx.settings.zone
    text = fallback_text(metrics, zone, prefix=f"Incidents, last {days} days")
    return text, as_dicts(stats_blocks(metrics, zone))
