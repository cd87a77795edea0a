"""The root cause the authors wrote in a post-mortem page (files or Confluence), for replays.

The section is the one our template opens below the authors' boundary (`<h2>Root causes</h2>`
up to the next heading); its placeholder text (`ac:placeholder`) is not the authors' and is
left out, so an untouched page gives None.
"""

from __future__ import annotations

import html
import logging
import re

from firefighter.postmortem.files import FilePublisher
from firefighter.settings import Settings

log = logging.getLogger(__name__)

_SECTION = re.compile(
    r"<h2[^>]*>\s*Root causes?\s*</h2>(?P<body>.*?)(?=<h[12][\s>]|$)", re.S | re.I
)
_PLACEHOLDER = re.compile(r"<ac:placeholder[^>]*>.*?</ac:placeholder>", re.S)
_BREAKS = re.compile(r"</(?:p|li|div|h\d)>|<br\s*/?>", re.I)
_TAGS = re.compile(r"<[^>]+>")


def root_cause_text(storage: str) -> str | None:
    """The authors' text of the Root causes section, or None when they wrote nothing."""
    match = _SECTION.search(storage or "")
    if match is None:
        return None
    body = _PLACEHOLDER.sub("", match.group("body"))
    body = _TAGS.sub("", _BREAKS.sub("\n", body))
    lines = [" ".join(html.unescape(line).split()) for line in body.splitlines()]
    text = "\n".join(line for line in lines if line)
    return text or None


def read_root_cause(settings: Settings, page_id: str | None, reference: str) -> str | None:
    """The root cause of incident `reference`'s published post-mortem, or None.

    Never raises: a replay falls back to what the incident recorded when the page cannot be
    read, and says so in its log.
    """
    if not page_id:
        return None
    try:
        if page_id.startswith("file:") or not settings.confluence_url:
            storage_path, _html = FilePublisher(settings.postmortem_dir).paths(reference)
            return root_cause_text(storage_path.read_text(encoding="utf-8"))
        from firefighter.postmortem.confluence import ConfluencePublisher

        return root_cause_text(ConfluencePublisher.from_settings(settings).storage_of(page_id))
    except Exception as error:  # the page may be gone, or Confluence down
        log.warning("could not read the post-mortem of %s: %s", reference, error)
        return None
