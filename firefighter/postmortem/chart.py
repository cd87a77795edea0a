"""The timeline chart: the incident's phases as coloured spans, its updates as markers."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from firefighter.postmortem.document import PHASES, PostmortemView, chart_window

PHASE_COLOURS = {
    "open": "#de350b",
    "investigating": "#ff8b00",
    "mitigating": "#ffc400",
    "mitigated": "#36b37e",
    "postmortem": "#0065ff",
}
IMPACT_COLOUR = "#ff5630"
UPDATE_COLOUR = "#253858"


def chart_filename(view: PostmortemView) -> str:
    """The attachment (or file) name of the chart of `view`."""
    return f"{view.reference}-timeline.png"


def _num(at: datetime) -> float:
    return float(mdates.date2num(at))  # type: ignore[no-untyped-call]


def timeline_chart(view: PostmortemView, *, dpi: int = 110) -> bytes:
    """A PNG of the incident's phases, impact window and updates over time."""
    start, end = chart_window(view)
    # A Figure on the Agg canvas, without pyplot: no display needed and no global state,
    # so workers can draw from several threads.
    figure = Figure(figsize=(9.0, 2.6), dpi=dpi)
    # Fixed margins rather than a layout engine: the labels are known, and it halves the cost.
    figure.subplots_adjust(left=0.09, right=0.985, top=0.8, bottom=0.2)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    _draw_bars(axes, view, end)
    _draw_milestones(axes, view, end)
    _draw_axes(axes, view, start, end)
    seen = {span.status for span in view.spans}
    handles = [Patch(facecolor=PHASE_COLOURS[p], label=p) for p in PHASES if p in seen]
    if handles:
        figure.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=len(handles),
            fontsize=8,
            frameon=False,
        )
    buffer = io.BytesIO()
    # No timestamp in the metadata: the same incident gives the same bytes, so a re-export
    # can tell that the attachment has not changed.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _draw_bars(axes: Axes, view: PostmortemView, end: datetime) -> None:
    """The status phases, the impact window and the updates, a row each."""
    for span in view.spans:
        if span.status not in PHASE_COLOURS or span.start >= end:
            continue
        span_end = min(span.end, end)
        axes.broken_barh(
            [(_num(span.start), _num(span_end) - _num(span.start))],
            (2 - 0.35, 0.7),
            facecolors=PHASE_COLOURS[span.status],
            edgecolor="white",
            linewidth=0.8,
        )

    if view.started_at is not None:
        impact_end = view.mitigated_at or view.as_of
        axes.broken_barh(
            [(_num(view.started_at), max(_num(impact_end) - _num(view.started_at), 0.0))],
            (1 - 0.2, 0.4),
            facecolors=IMPACT_COLOUR,
            alpha=0.55,
        )

    update_times = [_num(e.at) for e in view.updates]
    if update_times:
        axes.plot(
            update_times,
            [0] * len(update_times),
            linestyle="none",
            marker="D",
            markersize=6,
            color=UPDATE_COLOUR,
        )


def _draw_milestones(axes: Axes, view: PostmortemView, end: datetime) -> None:
    """Declared and mitigated as lines; what the clipped right-hand side hides, in words."""
    zone = ZoneInfo(view.zone)
    for row, (name, style) in enumerate((("declared", ":"), ("mitigated", "--"))):
        at = view.milestone(name).at
        if at is not None and at <= end:
            axes.axvline(_num(at), color="#6b778c", linestyle=style, linewidth=1)
            # Two heights, so the labels of close milestones do not overprint each other.
            axes.annotate(
                name,
                (_num(at), 2.45 + 0.3 * row),
                xytext=(3, 0),
                textcoords="offset points",
                fontsize=8,
                color="#42526e",
            )
    beyond = [span for span in view.spans if span.end > end]
    if beyond:
        # What the clipped right-hand side hides, in words, under the status bar.
        rest = ", ".join(
            f"{span.status} until {span.end.astimezone(zone):%b %d %H:%M}" for span in beyond[-2:]
        )
        axes.annotate(
            f"{rest} \u2192",
            (_num(end), 1.42),
            ha="right",
            va="center",
            fontsize=8,
            color="#42526e",
        )


def _draw_axes(axes: Axes, view: PostmortemView, start: datetime, end: datetime) -> None:
    zone = ZoneInfo(view.zone)
    rows = ("Updates", "Impact", "Status")
    margin = (_num(end) - _num(start)) * 0.02
    axes.set_xlim(_num(start) - margin, _num(end) + margin)
    axes.set_ylim(-0.6, 3.0)
    axes.set_yticks(range(len(rows)), labels=list(rows))
    locator = mdates.AutoDateLocator(tz=zone, minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, tz=zone)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(formatter)
    axes.set_xlabel(f"time ({view.zone})", fontsize=9)
    axes.tick_params(labelsize=8)
    axes.grid(axis="x", color="#ebecf0", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
