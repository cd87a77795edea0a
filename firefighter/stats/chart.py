"""The digest's chart: incidents per week by severity (stacked bars) and the time to mitigate."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from firefighter.stats.weekly import WeeklySeries

# From the most to the least severe; severities beyond the palette get the last colour.
PALETTE = ("#bf2600", "#ff5630", "#ff991f", "#ffc400", "#97a0af", "#6b778c")
LINE_COLOUR = "#0052cc"


def chart_filename(end: datetime, zone: ZoneInfo) -> str:
    """`incidents-2026-03-09.png`, named after the day the period ends."""
    return f"incidents-{end.astimezone(zone):%Y-%m-%d}.png"


def weekly_chart(series: WeeklySeries, zone: ZoneInfo, *, dpi: int = 100) -> bytes:
    """A PNG: stacked weekly bars per severity above, the weekly time to mitigate below."""
    # A Figure on the Agg canvas without pyplot: no display and no global state, so the
    # worker may draw from any thread.
    figure = Figure(figsize=(9.0, 5.2), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    bars, trend = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    positions = list(range(len(series.week_starts)))
    labels = [f"{w.astimezone(zone):%d %b}" for w in series.week_starts]

    bottom = [0] * len(positions)
    for i, (severity, counts) in enumerate(series.declared.items()):
        if not any(counts):
            continue
        bars.bar(
            positions,
            counts,
            bottom=bottom,
            label=severity,
            color=PALETTE[min(i, len(PALETTE) - 1)],
            width=0.7,
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    bars.set_ylabel("incidents declared")
    bars.set_title("Incidents per week by severity", fontsize=11, loc="left")
    if any(bottom):
        bars.legend(fontsize=8, frameon=False, ncols=min(len(series.declared), 6))
    bars.yaxis.get_major_locator().set_params(integer=True)

    hours = [None if v is None else v / 3600 for v in series.mitigate_p50]
    means = [None if v is None else v / 3600 for v in series.mitigate_mean]
    trend.plot(positions, _gaps(hours), marker="o", color=LINE_COLOUR, label="median")
    trend.plot(positions, _gaps(means), marker=".", linestyle=":", color=LINE_COLOUR, label="mean")
    trend.set_ylabel("hours")
    trend.set_title("Time to mitigate (impact start → mitigated)", fontsize=11, loc="left")
    trend.set_ylim(bottom=0)
    if any(v is not None for v in hours):
        trend.legend(fontsize=8, frameon=False)
    trend.set_xticks(positions, labels=labels, rotation=45, ha="right", fontsize=8)
    trend.set_xlabel(f"week starting ({zone.key})", fontsize=9)
    for axes in (bars, trend):
        axes.grid(axis="y", color="#ebecf0", linewidth=0.8)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)

    buffer = io.BytesIO()
    # No timestamp in the metadata: the same figures give the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _gaps(values: list[float | None]) -> list[float]:
    # matplotlib leaves a gap for NaN, which is what a week with no mitigation is.
    return [float("nan") if v is None else v for v in values]
