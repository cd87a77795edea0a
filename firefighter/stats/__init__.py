"""Metrics and the weekly digest."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Protocol

from firefighter.bootstrap import Core
from firefighter.stats.metrics import Metrics, compute

PERIODS = (7, 30, 90)


class _HasCore(Protocol):
    @property
    def core(self) -> Core: ...


class PeriodError(ValueError):
    """The period typed is not one we offer; the message says what to type."""


def parse_period(text: str) -> int:
    """`7d`, `30d` or `90d` (empty means 7) as a number of days; PeriodError otherwise."""
    value = (text or "").strip().lower()
    if not value:
        return PERIODS[0]
    match = re.fullmatch(r"(\d{1,3})\s*(?:d|days?)?", value)
    if match and int(match.group(1)) in PERIODS:
        return int(match.group(1))
    choices = ", ".join(f"{d}d" for d in PERIODS)
    raise PeriodError(f"Say which period: {choices} (for example `stats 30d`).")


def measure(core: Core, *, days: int, end: datetime | None = None) -> Metrics:
    """The metrics of the `days` days before `end` (now by default), in one short session."""
    now = core.service.clock()
    settings = core.settings
    with core.factory() as session:
        return compute(
            session,
            end=end or now,
            days=days,
            severities=settings.severities,
            zone=settings.zone,
            now=now,
            postmortem_due_days=settings.postmortem_due_days,
        )


def slack_reply(ctx_or_core: Core | _HasCore, text_args: str) -> tuple[str, list[dict[str, Any]]]:
    """The ephemeral answer to `/incident stats [7d|30d|90d]`: fallback text and blocks."""
    from firefighter.stats.blocks import fallback_text, stats_blocks

    core = ctx_or_core if isinstance(ctx_or_core, Core) else ctx_or_core.core
    try:
        days = parse_period(text_args)
    except PeriodError as error:
        return f":warning: {error}", []
    metrics = measure(core, days=days)
    zone = core.settings.zone
    blocks = stats_blocks(metrics, zone)
    text = fallback_text(metrics, zone, prefix=f"Incidents, last {days} days")
    return text, [block.to_dict() for block in blocks]
