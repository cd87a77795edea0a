"""Publishing post-mortems as files: the embedded default when Confluence is not configured.

`INC-<id>.storage.xml` is the very body Confluence would get (paste it into the storage-format
editor, or keep it as a record); `INC-<id>.html` is a standalone page for a browser, with the
chart inlined; `INC-<id>-timeline.png` is the chart itself.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

from firefighter.outbox import PermanentFailure, RetryLater
from firefighter.postmortem.publishing import Published, RenderedPage
from firefighter.postmortem.render import render_html


class FilesRefused(PermanentFailure):
    """The post-mortem directory cannot be written; the message says which and why."""


def _write(path: Path, data: bytes) -> bool:
    """Write `data` atomically; False if the file already held exactly these bytes."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    # Write then rename, so a browser or a crash never sees half a page.
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # mkstemp creates 0600; these pages are meant to be read (by a browser, a web server).
        Path(temporary).chmod(0o644)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


class FilePublisher:
    """Writes the storage body, the HTML page and the chart under one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def paths(self, reference: str) -> tuple[Path, Path]:
        """The storage and HTML files of incident `reference` (e.g. INC-12)."""
        root = self.directory.resolve()
        return root / f"{reference}.storage.xml", root / f"{reference}.html"

    # What the files hold, for error messages; subclasses publishing other pages change it.
    what = "post-mortem"

    def html(self, page: RenderedPage, chart_src: str | None) -> str:
        """The standalone HTML page for `page` (subclasses render other pages)."""
        return render_html(page.view, chart_src=chart_src)

    def publish(self, page: RenderedPage, known_page_id: str | None) -> Published:
        """Write (or rewrite) the files; the page id is `file:<reference>`."""
        view = page.view
        storage_path, html_path = self.paths(view.reference)
        chart_src = None
        if page.chart_png is not None:
            chart_src = "data:image/png;base64," + base64.b64encode(page.chart_png).decode()
        html = self.html(page, chart_src)
        try:
            storage_path.parent.mkdir(parents=True, exist_ok=True)
            changed = _write(storage_path, page.storage.encode("utf-8"))
            if page.chart_png is not None and page.chart_name:
                changed |= _write(storage_path.parent / page.chart_name, page.chart_png)
            changed |= _write(html_path, html.encode("utf-8"))
        except (PermissionError, NotADirectoryError, FileExistsError, IsADirectoryError) as error:
            raise FilesRefused(
                f"FireFighter may not write to {storage_path.parent} ({error.strerror}): "
                "fix its permissions or set FIREFIGHTER_POSTMORTEM_DIR"
            ) from None
        except OSError as error:
            raise RetryLater(
                f"could not write the {self.what} under {storage_path.parent}: {error}"
            ) from None
        return Published(page_id=f"file:{view.reference}", url=html_path.as_uri(), changed=changed)
