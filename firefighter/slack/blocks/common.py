"""What every Block Kit builder shares: Slack's limits, text objects cut to fit, the modal frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, PlainTextObject
from slack_sdk.models.views import View

from firefighter.text import truncate

SECTION_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
OPTION_MAX = 75
MAX_BLOCKS = 50
MODAL_TITLE_MAX = 24
LABEL_MAX = 2000
PLACEHOLDER_MAX = 150


def md(text: str, limit: int = SECTION_MAX) -> MarkdownTextObject:
    """A mrkdwn text object cut to `limit` (the caller escapes user text first)."""
    return MarkdownTextObject(text=truncate(text, limit))


def plain(text: str, limit: int) -> PlainTextObject:
    """A plain-text object cut to `limit`."""
    return PlainTextObject(text=truncate(text, limit), emoji=True)


def modal(
    *,
    callback_id: str,
    title: str,
    submit: str,
    blocks: Sequence[Block],
    private_metadata: str,
) -> View:
    """A modal with Slack's title and button limits applied and a Cancel button."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, MODAL_TITLE_MAX),
        submit=plain(submit, MODAL_TITLE_MAX),
        close=plain("Cancel", MODAL_TITLE_MAX),
        private_metadata=private_metadata,
        blocks=list(blocks),
    )


def as_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Blocks as the JSON Slack takes."""
    return [block.to_dict() for block in blocks]
