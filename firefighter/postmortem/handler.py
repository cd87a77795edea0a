"""The outbox handler that exports post-mortems, and a synchronous export for the CLI.

One export: read the incident in a short session (closed before any network call), render
it, publish it (Confluence or files), then report the page as an outcome that the dispatcher
records with the delivery. People hear about trouble once per export request, not once per
retry: notices are keyed by the outbox item.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from firefighter.faults import NO_FAULTS, PAGE_PUBLISHED, Faults
from firefighter.incidents import effects
from firefighter.incidents.delivery_views import incident_summary, last_export_warning
from firefighter.incidents.errors import NotFound
from firefighter.incidents.outcomes import Notice
from firefighter.incidents.postmortem_pages import PostmortemPublished
from firefighter.incidents.service import IncidentService
from firefighter.outbox import Dispatcher, Message, PermanentFailure, RetryLater, progress
from firefighter.outbox.queue import waiting_ahead
from firefighter.postmortem.chart import chart_filename, timeline_chart
from firefighter.postmortem.confluence import ConfluencePublisher
from firefighter.postmortem.document import Names, PostmortemView, load_view
from firefighter.postmortem.files import FilePublisher
from firefighter.postmortem.publishing import Published, Publisher, RenderedPage
from firefighter.postmortem.render import InvalidStorage, render_storage
from firefighter.settings import ConfigError, Settings

log = logging.getLogger(__name__)


class ExportFailed(Exception):
    """A synchronous export did not produce a page; the message says why and what to do."""


def template_path(settings: Settings) -> Path | None:
    """The team's storage template (`FIREFIGHTER_POSTMORTEM_TEMPLATE`), checked, or None."""
    value = getattr(settings, "postmortem_template", None)
    if value is None or str(value) == "":
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"FIREFIGHTER_POSTMORTEM_TEMPLATE: no template file at {path}")
    return path


def make_publisher(settings: Settings) -> Publisher:
    """Confluence when `CONFLUENCE_URL` is set, else files under `FIREFIGHTER_POSTMORTEM_DIR`."""
    if settings.confluence_url:
        return ConfluencePublisher.from_settings(settings)
    return FilePublisher(settings.postmortem_dir)


def render_page(view: PostmortemView, *, template: Path | None = None) -> RenderedPage:
    """The storage body and chart of `view`; InvalidStorage if the template is broken."""
    name: str | None = chart_filename(view)
    try:
        chart: bytes | None = timeline_chart(view)
    except Exception:  # a chart is a nice-to-have; never let it block the post-mortem
        log.exception("timeline chart of %s failed; publishing without it", view.reference)
        chart, name = None, None
    storage = render_storage(view, chart_filename=name, template=template)
    bare = render_storage(view, chart_filename=None, template=template) if name else None
    return RenderedPage(
        view=view, storage=storage, chart_png=chart, chart_name=name, storage_without_chart=bare
    )


class Exporter:
    """Handles `effects.EXPORT_POSTMORTEM` items."""

    def __init__(
        self,
        settings: Settings,
        service: IncidentService,
        publisher: Publisher,
        *,
        template: Path | None = None,
        names: Names | None = None,
        faults: Faults = NO_FAULTS,
    ) -> None:
        self.settings = settings
        self.service = service
        self.publisher = publisher
        self.template = template
        self.names = names
        self.faults = faults

    def __call__(self, message: Message) -> list[object]:
        """Export the incident named in the message's payload; the page and any notice."""
        incident_id = int(message.payload["incident_id"])
        settings = self.settings
        try:
            with self.service.factory() as session:
                view, known_page_id = load_view(
                    session,
                    incident_id,
                    zone=settings.zone,
                    severities=settings.severities,
                    names=self.names,
                )
        except NotFound as error:
            raise PermanentFailure(str(error)) from None
        view = replace(view, command=settings.command)
        if settings.base_url:
            view = replace(view, web_url=f"{settings.base_url.rstrip('/')}/incidents/{view.id}")
        published = self._publish(message, view, known_page_id)
        self.faults.reach(PAGE_PUBLISHED, str(incident_id))
        actor = message.payload.get("requested_by")
        made: list[object] = [
            PostmortemPublished(
                incident_id,
                published.page_id,
                published.url,
                str(actor) if actor else None,
                published.warning,
            )
        ]
        if published.warning:
            made.append(
                Notice(
                    view.id,
                    f":warning: The post-mortem of {view.reference} is published without its "
                    f"chart: {published.warning}.",
                    key=f"postmortem-chart:{view.id}:{message.id}",
                )
            )
        return made

    def _publish(
        self, message: Message, view: PostmortemView, known_page_id: str | None
    ) -> Published:
        # A failure's notice is reported with the failure (see outbox.progress).
        with progress() as done:
            try:
                page = render_page(view, template=self.template)
            except InvalidStorage as error:
                reason = f"the post-mortem template produced an invalid page: {error}"
                remedy = "fix FIREFIGHTER_POSTMORTEM_TEMPLATE"
                done.append(self._failed(message, view, reason, remedy))
                raise PermanentFailure(reason) from None
            try:
                return self.publisher.publish(page, known_page_id)
            except RetryLater as error:
                done.append(self._delayed(message, view, error))
                raise
            except PermanentFailure as error:
                done.append(self._failed(message, view, str(error), "fix that"))
                raise

    def _delayed(self, message: Message, view: PostmortemView, error: RetryLater) -> Notice:
        last = message.attempts + 1 >= self.settings.outbox_max_attempts
        if last:
            return self._failed(
                message,
                view,
                f"it still failed after {message.attempts + 1} attempts ({error})",
                "check that the destination is reachable",
            )
        return Notice(
            view.id,
            f"The post-mortem of {view.reference} is delayed: {error}. FireFighter keeps "
            "trying and will post the link here once it is published.",
            key=f"postmortem-delayed:{view.id}:{message.id}",
        )

    def _failed(self, message: Message, view: PostmortemView, reason: str, remedy: str) -> Notice:
        return Notice(
            view.id,
            f"The post-mortem of {view.reference} could not be published: {reason}. "
            f"Please {remedy}, then run `{self.settings.command} postmortem` again.",
            key=f"postmortem-failed:{view.id}:{message.id}",
        )


def register_exporter(
    dispatcher: Dispatcher,
    settings: Settings,
    service: IncidentService,
    *,
    publisher: Publisher | None = None,
    names: Names | None = None,
    faults: Faults = NO_FAULTS,
) -> None:
    """Deliver `effects.EXPORT_POSTMORTEM` with the publisher the settings choose; `names`
    names the people (the cache of Slack users)."""
    exporter = Exporter(
        settings,
        service,
        publisher if publisher is not None else make_publisher(settings),
        template=template_path(settings),
        names=names,
        faults=faults,
    )
    dispatcher.register(effects.EXPORT_POSTMORTEM, exporter)


def _reason(last_error: str | None) -> str:
    text = last_error or "no error recorded"
    head, _, rest = text.partition(": ")
    # Stored as "ExceptionName: message"; people only need the message.
    return rest if rest and head.isidentifier() else text


def export_now(
    service: IncidentService,
    dispatcher: Dispatcher,
    incident_id: int,
    *,
    timeout: float = 120.0,
    actor: str | None = None,
) -> str:
    """Request an export, deliver it in-process and return the page URL; ExportFailed if not.

    `dispatcher` has the handlers this process may run (at least the post-mortem one);
    items of other kinds stay queued for the worker.
    """
    item_id = service.request_postmortem(incident_id, actor=actor)
    if effects.EXPORT_POSTMORTEM not in dispatcher.handlers:
        raise ExportFailed("no post-mortem handler was registered; nothing can export it")
    reference = f"INC-{incident_id}"
    delivery = dispatcher.deliver_now(item_id, timeout)
    if delivery.delivered:
        url = incident_summary(service.factory, incident_id).postmortem_url
        if url:
            return url
        raise ExportFailed(f"the export of {reference} finished but stored no URL")
    if delivery.state == "dead":
        raise ExportFailed(
            f"the post-mortem of {reference} could not be published: {_reason(delivery.last_error)}"
        )
    # Only its own lane holds an export back (Slack effects do not).
    ahead = waiting_ahead(service.factory, item_id, incident_id, effects.ExportPostmortem.target)
    errors = [error for _, error in ahead if error] + (
        [delivery.last_error] if delivery.last_error else []
    )
    parts = [f"the post-mortem of {reference} is not published after {timeout:g} s"]
    if errors:
        parts.append(f"last error: {_reason(errors[-1])}")
    waiting = sorted({kind for kind, _ in ahead if kind not in dispatcher.handlers})
    if waiting:
        parts.append(
            f"it waits behind earlier effects of {reference} ({', '.join(waiting)}) "
            "that only `firefighter worker` delivers"
        )
    raise ExportFailed("; ".join(parts) + ". The export stays queued for the worker.")


def export_warning(service: IncidentService, incident_id: int) -> str | None:
    """What the latest export of the incident went out without (the chart), or None."""
    return last_export_warning(service.factory, incident_id)
