"""Pure rendering: a `PostmortemView` in, Confluence storage format or standalone HTML out.

Templates are Jinja2 with autoescape on, so user text can never inject markup. A team can
point `FIREFIGHTER_POSTMORTEM_TEMPLATE` at its own storage template; it may extend ours with
`{% extends "firefighter/postmortem.storage.xml.j2" %}` and override its blocks.

Two invisible anchor macros structure every page we publish:

- the *owner mark* (`firefighter-incident-<id>-<declared stamp>`) at the top proves a page is
  ours, so a page created just before a crash is adopted instead of duplicated, and a
  stranger's page with the same title is never overwritten;
- the *authors boundary* (`firefighter-authors`): everything above it is generated and
  refreshed by each export, everything below belongs to the authors and is carried over
  untouched. Anchors are used because they are invisible when the page is viewed and, unlike
  placeholders, do not vanish when someone types next to them in the editor.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
)
from markupsafe import Markup

from firefighter.postmortem.document import PostmortemView
from firefighter.text import Segment, bare_links, slack_segments

STORAGE_TEMPLATE = "postmortem.storage.xml.j2"
HTML_TEMPLATE = "postmortem.html.j2"
AUTHORS_ANCHOR = "firefighter-authors"

NAMESPACES = {
    "ac": "http://atlassian.com/content",
    "ri": "http://atlassian.com/resource/identifier",
}

# Colours of Confluence's status macro (Data Center knows Grey, Red, Yellow, Green, Blue).
STATUS_COLOURS = {
    "open": "Red",
    "investigating": "Red",
    "mitigating": "Yellow",
    "mitigated": "Blue",
    "postmortem": "Blue",
    "closed": "Green",
}

# Characters XML 1.0 forbids anywhere, even escaped; Slack text can carry some of them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class InvalidStorage(ValueError):
    """A storage body that is not well-formed XML (a broken custom template, usually)."""


class AuthorsSectionLost(ValueError):
    """The existing page no longer has the authors boundary, so merging would lose text."""


def xml_safe(value: Any) -> Any:
    """Drop characters XML cannot carry; applied to every `{{ }}` before escaping."""
    if isinstance(value, Markup):
        return Markup(_NOT_XML.sub("", str(value)))
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    return value


def paragraphs(text: str) -> list[list[str]]:
    """Text split into paragraphs (blank lines) of lines, for `<p>` and `<br/>`."""
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    return [block.split("\n") for block in blocks if block.strip()]


def rich(text: str, names: Any = None) -> list[list[list[Segment]]]:
    """Slack text as paragraphs of lines of segments: mentions named, links kept as links,
    and URLs typed bare made links as well."""
    return [[bare_links(slack_segments(line, names)) for line in para] for para in paragraphs(text)]


def _anchor(name: str) -> Markup:
    return Markup(
        '<ac:structured-macro ac:name="anchor"><ac:parameter ac:name="">'
        f"{Markup.escape(name)}</ac:parameter></ac:structured-macro>"
    )


def owner_marker(view: PostmortemView) -> str:
    """The paragraph that marks a page as this incident's post-mortem."""
    return f"<p>{_anchor(view.owner_mark)}</p>\n"


def authors_boundary() -> Markup:
    """The anchor between generated content (above) and the authors' sections (below)."""
    return _anchor(AUTHORS_ANCHOR)


def _anchor_pattern(name: str) -> re.Pattern[str]:
    # Confluence re-serialises macros it stores (adds ac:macro-id, ac:schema-version), so
    # match the macro by name and parameter rather than byte for byte.
    return re.compile(
        r'<ac:structured-macro\b[^>]*\bac:name="anchor"[^>]*>\s*'
        r'<ac:parameter\b[^>]*\bac:name=""[^>]*>\s*' + re.escape(name) + r"\s*</ac:parameter>"
        r"(?:\s*<ac:parameter\b[^>]*>[^<]*</ac:parameter>)*\s*</ac:structured-macro>"
    )


def is_ours(body: str, view: PostmortemView) -> bool:
    """Whether a storage body carries this incident's owner mark."""
    return _anchor_pattern(view.owner_mark).search(body or "") is not None


def merge_authors(new_body: str, existing_body: str) -> str:
    """The new generated part followed by the authors' part of the existing page.

    A template without a boundary regenerates the whole page. If the existing page lost its
    boundary, or the merge would not be well-formed (the anchor was moved into a layout),
    AuthorsSectionLost is raised rather than risk overwriting what people wrote.
    """
    pattern = _anchor_pattern(AUTHORS_ANCHOR)
    new_match = pattern.search(new_body)
    if new_match is None:
        return new_body
    old_match = pattern.search(existing_body or "")
    if old_match is None:
        raise AuthorsSectionLost(
            "the page no longer has the 'firefighter-authors' anchor that separates the "
            "generated part from the authors' sections"
        )
    merged = new_body[: new_match.end()] + existing_body[old_match.end() :]
    try:
        check_storage(merged)
    except InvalidStorage as error:
        raise AuthorsSectionLost(
            "the 'firefighter-authors' anchor was moved inside another element, so the "
            f"authors' sections cannot be kept apart ({error})"
        ) from None
    return merged


def check_storage(body: str) -> None:
    """Raise InvalidStorage unless `body` parses as XML inside a root declaring ac: and ri:."""
    declarations = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
    try:
        ET.fromstring(f"<storage-root {declarations}>{body}</storage-root>")
    except ET.ParseError as error:
        line, column = error.position
        raise InvalidStorage(f"not well-formed XML at line {line}, column {column}") from None


@lru_cache(maxsize=8)
def environment(custom_dir: str | None = None) -> Environment:
    """The autoescaped Jinja2 environment of every page we render (post-mortems, Game Day
    reports); `custom_dir` puts a team's own templates first."""
    package = PackageLoader("firefighter.postmortem", "templates")
    loaders: list[BaseLoader] = []
    if custom_dir is not None:
        loaders.append(FileSystemLoader(custom_dir))
    loaders += [PrefixLoader({"firefighter": package}), package]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        finalize=xml_safe,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["paragraphs"] = paragraphs
    env.filters["rich"] = rich
    env.globals["authors_boundary"] = authors_boundary
    env.globals["colours"] = STATUS_COLOURS
    return env


def render_storage(
    view: PostmortemView, *, chart_filename: str | None = None, template: Path | None = None
) -> str:
    """The page body in Confluence storage format; InvalidStorage if it is not well-formed."""
    if template is None:
        env, name = environment(None), STORAGE_TEMPLATE
    else:
        env, name = environment(str(template.resolve().parent)), template.name
    try:
        body = env.get_template(name).render(page=view, chart=chart_filename)
    except TemplateError as error:
        raise InvalidStorage(f"the template {name} failed: {error}") from None
    body = owner_marker(view) + body
    check_storage(body)
    return body


def render_html(view: PostmortemView, *, chart_src: str | None = None) -> str:
    """A standalone, print-friendly HTML page with the same sections as the storage body."""
    return environment(None).get_template(HTML_TEMPLATE).render(page=view, chart=chart_src)
