"""The incident pages: the list (filters, search, pages), its CSV, one incident, its chart."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents.lifecycle import Status
from firefighter.incidents.listing import (
    FilterError,
    Filters,
    csv_stream,
    find_visible,
    list_page,
)
from firefighter.postmortem.chart import timeline_chart
from firefighter.postmortem.document import build_view, people_in
from firefighter.settings import Settings
from firefighter.web.console.render import SECURITY_HEADERS, Renderer
from firefighter.web.signin import current_viewer

Names = Callable[[Iterable[str]], dict[str, str]]


def sign_in_first(request: Request) -> RedirectResponse:
    """Where someone not signed in goes: the sign-in, then back here."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/auth/login?" + urllib.parse.urlencode({"next": back}), 303)


def offered(configured: list[str], chosen: str) -> list[str]:
    """The values a filter offers."""
    return [*configured, chosen] if chosen and chosen not in configured else list(configured)


def slack_channel_url(channel_id: str | None) -> str | None:
    """A link that opens the channel in Slack (app or browser)."""
    if not channel_id:
        return None
    return f"https://slack.com/app_redirect?channel={urllib.parse.quote(channel_id)}"


def incident_pages(
    factory: sessionmaker[Session], settings: Settings, render: Renderer, names: Names
) -> APIRouter:
    """`GET /`, `GET /incidents.csv`, `GET /incidents/{id}` and its phase chart."""
    router = APIRouter(include_in_schema=False)
    zone = settings.zone
    severities = [s.name for s in settings.severities]

    def filters_of(request: Request) -> Filters:
        return Filters.parse(dict(request.query_params))

    @router.get("/")
    def incidents(request: Request, page: int = 1) -> Response:
        viewer = current_viewer(request)
        if viewer is None:
            return sign_in_first(request)
        error = ""
        try:
            filters = filters_of(request)
        except FilterError as problem:
            filters, error = Filters(), str(problem)
        found = list_page(factory, filters, viewer.sees, zone, page)
        commanders = [i.holder("commander") or "" for i in found.incidents]
        params = filters.query_params()
        query = "?" + urllib.parse.urlencode(params) if params else ""

        def page_query(number: int) -> str:
            return "?" + urllib.parse.urlencode({**params, "page": str(number)})

        return render.page(
            request,
            "incidents.html",
            400 if error else 200,
            title="Incidents",
            filters=filters,
            error=error,
            page=found,
            choices={
                # The configured lists, and a value typed in the address bar kept selectable.
                "component": offered(settings.components, filters.component),
                "failure_class": offered(settings.failure_classes, filters.failure_class),
            },
            statuses=[s.value for s in Status],
            severities=severities,
            names=names(commanders),
            query=query,
            page_query=page_query,
        )

    @router.get("/incidents.csv")
    def incidents_csv(request: Request) -> Response:
        viewer = current_viewer(request)
        if viewer is None:
            return sign_in_first(request)
        try:
            filters = filters_of(request)
        except FilterError as problem:
            return render.message(request, 400, "Cannot export", str(problem))
        return StreamingResponse(
            csv_stream(factory, filters, viewer.sees, zone),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="incidents.csv"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    def not_found(request: Request, incident_id: str) -> Response:
        return render.message(
            request, 404, "No such incident", f"There is no incident {incident_id} you can see."
        )

    @router.get("/incidents/{incident_id}")
    def incident(request: Request, incident_id: str) -> Response:
        viewer = current_viewer(request)
        if viewer is None:
            return sign_in_first(request)
        if not incident_id.isdigit():
            return not_found(request, incident_id)
        record = find_visible(factory, int(incident_id), viewer.sees)
        if record is None:
            return not_found(request, f"INC-{incident_id}")
        found, events, followups = record.incident, record.events, list(record.followups)
        people = people_in(found, events) + [f["owner"] for f in followups if f["owner"]]
        known = names(people)
        view = build_view(found, events, zone=zone, severities=settings.severities, names=known)
        return render.page(
            request,
            "incident.html",
            title=f"{found.reference} {found.title}",
            incident=found,
            view=view,
            names=known,
            followups=followups,
            alerts=record.alerts,
            channel_url=slack_channel_url(found.channel_id),
        )

    @router.get("/incidents/{incident_id}/phases.png")
    def phases(request: Request, incident_id: int) -> Response:
        viewer = current_viewer(request)
        if viewer is None:
            return Response(status_code=401)
        record = find_visible(factory, incident_id, viewer.sees, full=False)
        if record is None:
            return Response("not found\n", status_code=404, media_type="text/plain")
        view = build_view(record.incident, record.events, zone=zone, severities=settings.severities)
        return Response(
            timeline_chart(view, dpi=90),
            media_type="image/png",
            headers={"Cache-Control": "private, max-age=60", **SECURITY_HEADERS},
        )

    return router
