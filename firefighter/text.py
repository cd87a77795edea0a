"""Plain-text formatting shared by every renderer (Slack, post-mortem pages, CLI tables)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

ELLIPSIS = "…"

_MENTION = re.compile(r"<@([A-Za-z0-9_]+)(?:\|[^>]*)?>")


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def plural(count: int, noun: str) -> str:
    """`1 update`, `3 updates`: a count people read, never `update(s)`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def slugify(title: str) -> str:
    """Lowercase ASCII words joined by hyphens; empty for titles with no letters or digits."""
    decomposed = unicodedata.normalize("NFKD", title)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def duration_parts(seconds: float) -> tuple[int, int, int, int]:
    """The one rounding rule for every duration people read (stats, digest, post-mortem,
    card, reminders): (days, hours, minutes, seconds) of `abs(seconds)`, half up, to the
    second under a minute, to the minute under a day, to the hour from a day on; only the
    leading units are non-zero. The same incident thus shows the same figures everywhere.
    """
    total = abs(seconds)
    if total < 59.5:
        return 0, 0, 0, math.floor(total + 0.5)
    minutes = math.floor(total / 60 + 0.5)
    if minutes < 24 * 60:
        return 0, *divmod(minutes, 60), 0
    hours = math.floor(total / 3600 + 0.5)
    return *divmod(hours, 24), 0, 0


def duration(seconds: float | None) -> str:
    """A short human duration for tight spaces: 45s, 12m, 3h 05m, 2d 4h (`duration_parts`)."""
    if seconds is None:
        return "—"
    days, hours, minutes, secs = duration_parts(seconds)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def format_duration(seconds: float | None) -> str:
    """A duration for pages people read: `45 s`, `12 min`, `2 h 05 min`, `3 d 4 h`; a dash
    when unknown. The same rounding as `duration` (`duration_parts`)."""
    if seconds is None:
        return "—"
    sign = "−" if seconds < 0 else ""
    days, hours, minutes, secs = duration_parts(seconds)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes:02d} min"
    elif minutes:
        text = f"{minutes} min"
    else:
        text = f"{secs} s"
    return sign + text


def plain_text(text: str) -> str:
    """Slack mentions (`<@U123>`) as readable `@U123`; the rest untouched."""
    return _MENTION.sub(r"@\1", text or "")


# Slack's markup inside message texts: <@U…>, <#C…|name>, <!subteam^S…|@handle>, <!here>,
# <url|label>, <url>. Slack escapes &, < and > in the rest of the text.
# Only these shapes are Slack's: any other `<...>` (text typed outside Slack) stays as it is.
_SLACK_TOKEN = re.compile(
    r"<((?:[@#][A-Z0-9][^<>|\s]*|!(?:here|channel|everyone|subteam\^[A-Z0-9]+|date\^[^<>|]*))"
    r"(?:\|[^<>]*)?|(?:https?://|mailto:)[^<>|\s]+(?:\|[^<>]*)?)>",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Segment:
    """A run of readable text, a link when `href` is set."""

    text: str
    href: str | None = None


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(inner: str, names: Mapping[str, str]) -> Segment:
    target, _, label = inner.partition("|")
    label = _unescape(label)
    if target.startswith("@"):
        user_id = target[1:]
        return Segment("@" + (names.get(user_id) or label.lstrip("@") or user_id))
    if target.startswith("#"):
        return Segment("#" + (label or names.get(target[1:]) or target[1:]))
    if target.startswith("!subteam^"):
        group = target[len("!subteam^") :]
        return Segment("@" + (label.lstrip("@") or names.get(group) or "a user group"))
    if target.startswith("!"):
        # <!here>, <!channel>, <!everyone>, <!date^…|fallback>: the fallback, else the word.
        return Segment(label or "@" + target[1:].split("^")[0])
    url = _unescape(target)
    return Segment(label or url.removeprefix("mailto:"), url)


def slack_segments(text: str, names: Mapping[str, str] | None = None) -> list[Segment]:
    """Slack message text as readable segments: mentions as names, links as links."""
    names = names or {}
    out: list[Segment] = []
    position = 0
    for match in _SLACK_TOKEN.finditer(text or ""):
        if match.start() > position:
            out.append(Segment(_unescape(text[position : match.start()])))
        out.append(_token(match.group(1), names))
        position = match.end()
    if position < len(text or ""):
        out.append(Segment(_unescape(text[position:])))
    # Adjacent plain runs join, so renderers emit fewer spans.
    merged: list[Segment] = []
    for segment in out:
        if merged and segment.href is None and merged[-1].href is None:
            merged[-1] = Segment(merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return merged


# A URL typed as plain text: http(s) up to whitespace or a character no URL carries raw.
_BARE_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the URL it follows ("see https://x.").
_TRAILING = ".,;:!?*_~"


def _url_end(url: str) -> str:
    """`url` without the sentence's punctuation, and without a `)` it did not open."""
    while url:
        unopened = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] not in _TRAILING and not unopened:
            break
        url = url[:-1]
    return url


def bare_links(segments: list[Segment]) -> list[Segment]:
    """`segments` with the http(s) URLs typed as plain text made links too.

    Text typed in a modal (or a URL Slack did not wrap) carries no `<…>`; a reader still
    expects to click it. Only http and https are linked, never `javascript:` or the like.
    """
    out: list[Segment] = []
    for segment in segments:
        if segment.href is not None:
            out.append(segment)
            continue
        position = 0
        for match in _BARE_URL.finditer(segment.text):
            url = _url_end(match.group(0))
            if "://" not in url or url.endswith("://"):
                continue
            if match.start() > position:
                out.append(Segment(segment.text[position : match.start()]))
            out.append(Segment(url, url))
            position = match.start() + len(url)
        if position < len(segment.text):
            out.append(Segment(segment.text[position:]))
    return out


def slack_plain(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack message text as plain words (links as their labels), for tables and charts."""
    return "".join(s.text for s in slack_segments(text, names))


def mentioned_ids(text: str) -> list[str]:
    """The user ids mentioned in a Slack text, in order, once each."""
    return list(dict.fromkeys(_MENTION.findall(text or "")))
