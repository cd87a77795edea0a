"""Plain-text formatting shared by every renderer (Slack, post-mortem pages, CLI tables)."""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

_MENTION = re.compile(r"<@([A-Za-z0-9_]+)(?:\|[^>]*)?>")


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def slugify(title: str) -> str:
    """Lowercase ASCII words joined by hyphens; empty for titles with no letters or digits."""
    decomposed = unicodedata.normalize("NFKD", title)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def duration(seconds: float | None) -> str:
    """A short human duration for tight spaces: 45s, 12m, 3h 05m, 2d 4h."""
    if seconds is None:
        return "—"
    total = int(abs(seconds))
    if total < 60:
        return f"{total}s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def format_duration(seconds: float | None) -> str:
    """A duration for pages people read: `45 s`, `12 min`, `2 h 05 min`, `3 d 4 h`; a dash
    when unknown."""
    if seconds is None:
        return "—"
    sign = "−" if seconds < 0 else ""
    total = round(abs(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes:02d} min"
    elif minutes:
        text = f"{minutes} min" + (f" {secs:02d} s" if secs and minutes < 10 else "")
    else:
        text = f"{secs} s"
    return sign + text


def plain_text(text: str) -> str:
    """Slack mentions (`<@U123>`) as readable `@U123`; the rest untouched."""
    return _MENTION.sub(r"@\1", text or "")
