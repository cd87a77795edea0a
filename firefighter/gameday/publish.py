"""Publishing the Game Day report with the post-mortem publishers: Confluence, or files.

The publishers take a page described by a `PostmortemView`; a Game Day report is handed to
them as such a view whose title and owner mark are the report's own, so Confluence pages are
found again, never duplicated, and keep the authors' lessons learned on a re-export.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from zoneinfo import ZoneInfo

from firefighter.gameday.report import GameDayReport, render_html
from firefighter.postmortem.confluence import ConfluencePublisher
from firefighter.postmortem.document import PostmortemView
from firefighter.postmortem.files import FilePublisher
from firefighter.postmortem.publishing import Published, Publisher, RenderedPage
from firefighter.settings import Settings


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
