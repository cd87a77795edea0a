"""Pure text helpers for Slack: escaping, truncation, channel names, mentions."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

ELLIPSIS = "…"
CHANNEL_NAME_MAX = 80


def escape(text: str) -> str:
    """Escape user text for mrkdwn so `<!channel>` or `<@U1>` can never ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


def channel_name(incident_id: int, declared: datetime, title: str, *, prefix: str = "inc") -> str:
    """`inc-<yyyymmdd>-<id>-<slug>`, within Slack's 80 characters and allowed characters."""
    base = f"{prefix}-{declared:%Y%m%d}-{incident_id}"
    slug = slugify(title)
    if not slug:
        return base
    room = CHANNEL_NAME_MAX - len(base) - 1 - 3  # keep space for a "-NN" name_taken suffix
    slug = slug[:room].rstrip("-")
    return f"{base}-{slug}" if slug else base


def with_suffix(name: str, attempt: int) -> str:
    """The `attempt`-th alternative name after `name_taken`: name-2, name-3, …"""
    suffix = f"-{attempt}"
    return name[: CHANNEL_NAME_MAX - len(suffix)].rstrip("-") + suffix


MENTION = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>")


def mentioned_users(text: str) -> list[str]:
    """User ids in Slack's escaped mention format `<@U123|name>`."""
    return MENTION.findall(text)


def user(user_id: str | None) -> str:
    """A mention of `user_id`, or a dash."""
    return f"<@{user_id}>" if user_id else "—"


def duration(seconds: float | None) -> str:
    """A short human duration: 45s, 12m, 3h 05m, 2d 4h."""
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


def slack_date(at: datetime, fallback_format: str = "%Y-%m-%d %H:%M UTC") -> str:
    """A `<!date>` token: Slack shows it in each reader's own time zone."""
    epoch = int(at.timestamp())
    fallback = at.strftime(fallback_format)
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"
