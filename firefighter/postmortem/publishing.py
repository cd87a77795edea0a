"""What every publisher takes and gives back, whichever the destination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from firefighter.postmortem.document import PostmortemView


@dataclass(frozen=True)
class RenderedPage:
    """What one export publishes: the view it came from, the storage body and the chart."""

    view: PostmortemView
    storage: str
    chart_png: bytes | None
    chart_name: str | None
    # The same page without the chart, for a destination that will not take the image:
    # a page that names a missing attachment would show a broken image.
    storage_without_chart: str | None = None

    @property
    def title(self) -> str:
        """The page title."""
        return self.view.page_title


@dataclass(frozen=True)
class Published:
    """Where the post-mortem now lives, and whether this export changed anything."""

    page_id: str
    url: str
    changed: bool
    # Set when the page went out without something (the chart): one line saying why.
    warning: str | None = None


class Publisher(Protocol):
    """Puts a rendered post-mortem somewhere people can read it."""

    def publish(self, page: RenderedPage, known_page_id: str | None) -> Published:
        """Create or update the post-mortem; raise RetryLater or PermanentFailure."""
        ...
