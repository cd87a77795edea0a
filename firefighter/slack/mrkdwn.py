"""Slack's mrkdwn: escaping user text, mentions and date tokens."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from firefighter.incidents.wording import Part, fill
from firefighter.text import ELLIPSIS, slack_segments


def escape(text: str) -> str:
    """Escape user text for mrkdwn so `<!channel>` or `<@U1>` can never ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


URL_MAX = 2000
_URL_ESCAPES = {"<": "%3C", ">": "%3E", "|": "%7C", " ": "%20", '"': "%22"}


def safe_url(url: str | None) -> str | None:
    """An outside URL fit for a mrkdwn link, or None: only http(s) with a host, no control
    characters; `<`, `>`, `|` and spaces percent-encoded so nothing can end the link early,
    `&` escaped as mrkdwn requires."""
    value = (url or "").strip()
    if not value or len(value) > URL_MAX or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    encoded = "".join(_URL_ESCAPES.get(c, c) for c in value)
    return encoded.replace("&", "&amp;")


def link(url: str | None, label: str) -> str:
    """The one way an outside URL (alert links, generator URLs, runbooks, Jira, Confluence) is
    drawn: a link when it is http(s), otherwise the label and the address as escaped text
    (so `javascript:` is never clickable and `<!channel>` never pings)."""
    shown = escape(label).replace("|", "¦")
    href = safe_url(url)
    if href is not None:
        return f"<{href}|{shown}>"
    if not (url or "").strip():
        return shown
    text = " ".join(escape(url or "").split())
    return f"{shown} ({text[:200]})"


USER_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^<>]*)?>")


def _pieces(text: str) -> list[tuple[str, bool]]:
    """`text` as mrkdwn pieces (text, whether it is markup that may not be cut)."""
    pieces: list[tuple[str, bool]] = []
    for segment in slack_segments(text):
        label = escape(segment.text)
        if segment.href is None:
            pieces.append((label, False))
        else:
            href = escape(segment.href)
            bare = segment.text in ("", segment.href)
            pieces.append((f"<{href}>" if bare else f"<{href}|{label}>", True))
    return pieces


def linked(text: str, limit: int) -> str:
    """User text as mrkdwn where Slack links (`<https://x|label>`, `<https://x>`) stay links.

    Text prefilled from a Slack message carries Slack's own markup; escaped whole it would show
    `<https://x|label>` raw. Only http(s) and mailto links are kept as markup, rebuilt from
    their parts with both escaped, so nothing in them can close the link early; a user
    mention stays a mention (`<@U1>`, which Slack shows as the person's name); every other
    token (`<!channel>`, `<!subteam^S1>`) becomes its readable words and the rest is
    escaped, so the text can ping no group. Cut to `limit` between segments, never inside a
    link or mention, so a cut cannot leave a half-open `<`.
    """
    pieces: list[tuple[str, bool]] = []
    position = 0
    # A user mention stays a mention (Slack shows the person's name, as it did in the
    # message the text came from); it can only ever reach that one person.
    for mention in USER_MENTION.finditer(text):
        pieces += _pieces(text[position : mention.start()])
        pieces.append((f"<@{mention.group(1)}>", True))
        position = mention.end()
    pieces += _pieces(text[position:])
    if sum(len(piece) for piece, _ in pieces) <= limit:
        return "".join(piece for piece, _ in pieces)
    out: list[str] = []
    room = limit - len(ELLIPSIS)  # the text is cut: keep room for the ellipsis
    for piece, is_link in pieces:
        if len(piece) > room:
            if not is_link:
                # Plain text may be cut, but not inside an `&amp;` the escaping made.
                cut = piece[: max(room, 0)]
                amp = cut.rfind("&")
                if amp != -1 and ";" not in cut[amp:]:
                    cut = cut[:amp]
                out.append(cut)
            break
        out.append(piece)
        room -= len(piece)
    out.append(ELLIPSIS)
    return "".join(out)


MENTION = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>")


def mentioned_users(text: str) -> list[str]:
    """User ids in Slack's escaped mention format `<@U123|name>`."""
    return MENTION.findall(text)


def user(user_id: str | None) -> str:
    """A mention of `user_id`, or a dash."""
    return f"<@{user_id}>" if user_id else "—"


def mention(ident: str) -> str:
    """How Slack shows a user (`<@U…>`) or a user group (`<!subteam^S…>`)."""
    return f"<!subteam^{ident}>" if ident.startswith("S") else f"<@{ident}>"


def sentence(words: Iterable[Part], command: str) -> str:
    """A sentence of the core in Slack's words: people as mentions, commands as the
    configured slash command (`command`) in code quotes."""
    return fill(words, mention, lambda typed: f"`{command} {typed}`")


def slack_date(at: datetime, fallback_format: str = "%Y-%m-%d %H:%M UTC") -> str:
    """A `<!date>` token: Slack shows it in each reader's own time zone."""
    epoch = int(at.timestamp())
    fallback = at.strftime(fallback_format)
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"
