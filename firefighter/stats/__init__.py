"""Metrics and the weekly digest."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from firefighter.settings import Settings
from firefighter.stats.followup_figures import followup_figures
from firefighter.stats.metrics import Metrics, compute
from firefighter.stats.resilience import resilience
from firefighter.stats.weekly import WeeklySeries, weekly

PERIODS = (7, 30, 90)


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


def measure(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime,
    days: int,
    end: datetime | None = None,
) -> Metrics:
    """The metrics of the `days` days before `end` (now by default), in one short session."""
    with factory() as session:
        metrics = compute(
            session,
            end=end or now,
            days=days,
            severities=settings.severities,
            zone=settings.zone,
            now=now,
            postmortem_due_days=settings.postmortem_due_days,
        )
        figures = followup_figures(
            session,
            start=metrics.current.start,
            end=metrics.current.end,
            today=now.astimezone(settings.zone).date(),
        )
        scores = resilience(session, end=end or now, days=settings.resilience_days)
    return replace(metrics, followups=figures, resilience=scores)


def measure_weeks(
    factory: sessionmaker[Session], settings: Settings, *, end: datetime, weeks: int
) -> WeeklySeries:
    """The last `weeks` weeks before `end`, week by week, in one short session."""
    with factory() as session:
        return weekly(session, end=end, severities=settings.severities, weeks=weeks)
