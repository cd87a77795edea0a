"""Publishing the Game Day report with the post-mortem publishers: Confluence, or files.

The publishers take a page described by a `PostmortemView`; a Game Day report is handed to
them as such a view whose title and owner mark are the report's own, so Confluence pages are
found again, never duplicated, and keep the authors' lessons learned on a re-export.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from firefighter.gameday.chart import chart_filename, scores_chart
from firefighter.gameday.engine import GameDays
from firefighter.postmortem.confluence import ConfluencePublisher
from firefighter.postmortem.document import Names, PostmortemView
from firefighter.postmortem.files import FilePublisher
from firefighter.postmortem.gameday_report import (
    GameDayReport,
    build_report,
    render_html,
    render_storage,
)
from firefighter.postmortem.publishing import Published, Publisher, RenderedPage
from firefighter.settings import Settings

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ReportPageView(PostmortemView):
    """A Game Day report as the page the publishers know: its own title and owner mark."""

    report_title: str = ""
    report_mark: str = ""

    @property
    def page_title(self) -> str:
        """`Game Day report: Spring chaos (2026-03-02)`."""
        return self.report_title

    @property
    def owner_mark(self) -> str:
        """The anchor that proves a page is this Game Day's report."""
        return self.report_mark


def page_view(report: GameDayReport, zone: ZoneInfo) -> ReportPageView:
    """The report as a page view; the incident-only fields stay empty."""
    return ReportPageView(
        id=report.id,
        reference=report.reference,
        title=report.name,
        status="closed",
        severity="",
        severity_description="",
        component=None,
        private=False,
        drill=True,
        description="",
        closure_reason=None,
        roles=(),
        participants=(),
        milestones=(),
        metrics=(),
        events=(),
        spans=(),
        time_in_status=(),
        past_severities=(),
        duration=report.duration,
        zone=str(zone.key),
        declared_at=report.started_at,
        started_at=report.started_at,
        mitigated_at=None,
        as_of=report.started_at,
        report_title=report.title,
        report_mark=report.owner_mark,
    )


class ReportFiles(FilePublisher):
    """Writes `GAMEDAY-<id>.storage.xml`, `.html` and the chart next to the post-mortems."""

    def __init__(self, directory: Path, report: GameDayReport) -> None:
        super().__init__(directory)
        self.report = report

    what = "report"

    def html(self, page: RenderedPage, chart_src: str | None) -> str:
        """The report's own standalone page."""
        return render_html(self.report, chart_src=chart_src)


def make_report_publisher(settings: Settings, report: GameDayReport) -> Publisher:
    """Confluence when `CONFLUENCE_URL` is set, else files under `FIREFIGHTER_POSTMORTEM_DIR`."""
    if settings.confluence_url:
        return ConfluencePublisher.from_settings(settings)
    return ReportFiles(settings.postmortem_dir, report)


def publish_report(
    settings: Settings,
    report: GameDayReport,
    *,
    storage: str,
    chart_png: bytes | None,
    chart_name: str | None,
    known_page_id: str | None,
    publisher: Publisher | None = None,
) -> Published:
    """Create or update the report page; RetryLater or PermanentFailure on failure."""
    page = RenderedPage(
        view=page_view(report, settings.zone),
        storage=storage,
        chart_png=chart_png,
        chart_name=chart_name,
    )
    chosen = publisher if publisher is not None else make_report_publisher(settings, report)
    return chosen.publish(page, known_page_id)


def publish_gameday(
    settings: Settings, gamedays: GameDays, gameday_id: int, *, names: Names | None = None
) -> Published:
    """Build, render and publish the report of a Game Day that ended (chart when it draws);
    `names` names the players (the cache of Slack users)."""
    gameday = gamedays.get(gameday_id)
    report = build_report(gamedays, gameday_id, names=names)
    board = gamedays.board(gameday_id)
    try:
        png: bytes | None = scores_chart(board)
        name: str | None = chart_filename(board)
    except Exception:  # a chart is a nice-to-have; never let it block the report
        log.exception("chart of Game Day #%s failed; publishing without it", gameday_id)
        png, name = None, None
    return publish_report(
        settings,
        report,
        storage=render_storage(report, chart_filename=name),
        chart_png=png,
        chart_name=name,
        known_page_id=gameday.report_page_id,
    )
