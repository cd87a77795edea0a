"""Jinja2 for the console: escaped by default, times in the configured zone (UTC on hover)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request

from firefighter.text import slack_plain
from firefighter.web.signin import csrf_token, current_viewer

SECURITY_HEADERS = {
    # Nothing from elsewhere: scripts, styles and images come from the console itself.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def duration(value: timedelta | float | None) -> str:
    """`1 h 05 min`, `12 min`, `40 s`; an em dash when unknown."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} d {hours % 24} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


class Renderer:
    """Renders the console's templates with the viewer, the CSRF token and the zone."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.env = Environment(
            loader=PackageLoader("firefighter.web.console", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["when"] = self.when
        self.env.filters["duration"] = duration
        # Slack markup (`<@U1>`, `<https://x|label>`) read as people and labels, then escaped.
        self.env.filters["plain"] = slack_plain

    def when(self, value: datetime | str | None) -> Markup:
        """A `<time>` in the configured zone with the UTC time in its title."""
        if value is None or value == "":
            return Markup("—")
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone(self.zone)
        utc = moment.astimezone(UTC)
        return Markup('<time datetime="{}" title="{} UTC">{}</time>').format(
            utc.isoformat(), utc.strftime("%Y-%m-%d %H:%M"), local.strftime("%Y-%m-%d %H:%M %Z")
        )

    def page(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """The page, with the signed-in viewer and a CSRF token for its forms."""
        viewer = current_viewer(request)
        body = self.env.get_template(template).render(
            viewer=viewer,
            csrf=csrf_token(request) if viewer else "",
            zone=self.zone.key,
            path=request.url.path,
            **context,
        )
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)

    def message(self, request: Request, status: int, title: str, text: str) -> HTMLResponse:
        """A short page saying what went wrong and what to do."""
        return self.page(request, "message.html", status, title=title, text=escape(text))
