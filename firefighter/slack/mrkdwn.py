"""Slack's mrkdwn: escaping user text, mentions and date tokens."""

from __future__ import annotations

import re
from datetime import datetime


def escape(text: str) -> str:
    """Escape user text for mrkdwn so `<!channel>` or `<@U1>` can never ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


MENTION = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>")


def mentioned_users(text: str) -> list[str]:
    """User ids in Slack's escaped mention format `<@U123|name>`."""
    return MENTION.findall(text)


def user(user_id: str | None) -> str:
    """A mention of `user_id`, or a dash."""
    return f"<@{user_id}>" if user_id else "—"


def slack_date(at: datetime, fallback_format: str = "%Y-%m-%d %H:%M UTC") -> str:
    """A `<!date>` token: Slack shows it in each reader's own time zone."""
    epoch = int(at.timestamp())
    fallback = at.strftime(fallback_format)
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"
