"""`GET /figures?days=N`: the managers' figures, the very numbers of `stats --format json`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from firefighter.settings import Settings
from firefighter.stats import measure, measure_weeks
from firefighter.stats.cache import KEPT_PERIODS, FiguresCache
from firefighter.stats.chart import weekly_chart
from firefighter.stats.metrics import METRIC_LABELS, METRICS
from firefighter.stats.report import metrics_json
from firefighter.web.console.pages import sign_in_first
from firefighter.web.console.render import SECURITY_HEADERS, Renderer
from firefighter.web.signin import current_viewer

log = logging.getLogger(__name__)

PERIODS = KEPT_PERIODS
MAX_DAYS = 3660


def chart_weeks(days: int) -> int:
    """How many weeks the chart of a `days` period shows."""
    return max(4, min(52, days // 7))


def figures_pages(
    factory: sessionmaker[Session],
    settings: Settings,
    render: Renderer,
    clock: Callable[[], datetime],
) -> APIRouter:
    """`GET /figures` and its week-by-week chart."""
    router = APIRouter(include_in_schema=False)
    # The offered periods' figures are kept a minute (stats/cache.py): at 100,000 incidents
    # they take ~0.7 s to compute, and a wall screen or a meeting asks for them many times.
    kept = FiguresCache(lambda days: measure(factory, settings, now=clock(), days=days))

    def period(days: str | None) -> int | None:
        value = (days or "30").strip()
        if not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
            return None
        return int(value)

    @router.get("/figures")
    def figures(request: Request, days: str | None = None) -> Response:
        if current_viewer(request) is None:
            return sign_in_first(request)
        chosen = period(days)
        if chosen is None:
            return render.message(
                request, 400, "Which period?", f"`days` is a number of days from 1 to {MAX_DAYS}."
            )
        try:
            data = metrics_json(kept.get(chosen))
        except OperationalError as error:  # the statement time limit, or the database away
            log.warning("figures for %s days failed: %s", chosen, str(error).splitlines()[0])
            return render.message(
                request,
                503,
                "The figures are not ready",
                "The database did not answer in time; try again, or a shorter period.",
            )
        severities = [s.name for s in settings.severities]
        return render.page(
            request,
            "figures.html",
            title=f"Figures, last {chosen} days",
            days=chosen,
            periods=PERIODS,
            data=data,
            severities=severities,
            metrics=[(m, METRIC_LABELS[m]) for m in METRICS],
            weeks=chart_weeks(chosen),
        )

    def chart(weeks: int) -> bytes:
        series = measure_weeks(factory, settings, end=clock(), weeks=weeks)
        return weekly_chart(series, settings.zone, dpi=90)

    # Drawing the chart takes matplotlib ~0.3-2 s: the charts the page shows are kept too.
    charts = FiguresCache(chart, periods={chart_weeks(days) for days in PERIODS})

    @router.get("/figures/weekly.png")
    def weekly_png(request: Request, weeks: int = 12) -> Response:
        if current_viewer(request) is None:
            return Response(status_code=401)
        return Response(
            charts.get(max(2, min(52, weeks))),
            media_type="image/png",
            headers={"Cache-Control": "private, max-age=60", **SECURITY_HEADERS},
        )

    return router
