"""Block Kit as Slack checks it (`invalid_blocks` messages), reads it, and fills in ids."""

from __future__ import annotations

import copy
import random
import string
from collections.abc import Iterable
from typing import Any

from firefighter.emulators.slack.limits import (
    ACTIONS_ELEMENTS_MAX,
    BUTTON_TEXT_LIMIT,
    BUTTON_VALUE_LIMIT,
    CONTEXT_ELEMENTS_MAX,
    CONTEXT_TEXT_LIMIT,
    HEADER_TEXT_LIMIT,
    ID_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    MODAL_BLOCK_LIMIT,
    SECTION_FIELD_LIMIT,
    SECTION_FIELDS_MAX,
    SECTION_TEXT_LIMIT,
    VIEW_TITLE_LIMIT,
)

_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
_ID_ALPHABET = string.ascii_letters + string.digits
# Block and action ids only need to be unique, so they come from a generator that
# never touches the seeded fault RNG (a seed must reproduce the same faults).
_ids_rng = random.Random()


def _text_len_error(limit: int) -> str:
    return f"must be less than {limit + 1} characters"


class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def text(
        self, obj: Any, ptr: str, limit: int, *, plain_only: bool = False, required: bool = True
    ) -> None:
        if obj is None:
            if required:
                self.err("missing required field: text", ptr)
            return
        if not isinstance(obj, dict):
            self.err("must be a text object", ptr)
            return
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if obj.get("type") not in allowed:
            self.err(f"must be one of {', '.join(allowed)}", f"{ptr}/type")
        value = obj.get("text")
        if not isinstance(value, str):
            self.err("missing required field: text", f"{ptr}/text")
        elif not value:
            self.err("must be more than 0 characters", f"{ptr}/text")
        elif len(value) > limit:
            self.err(_text_len_error(limit), f"{ptr}/text")

    def ident(self, value: Any, ptr: str) -> None:
        if not isinstance(value, str) or not value:
            self.err("must be a non-empty string", ptr)
        elif len(value) > ID_LIMIT:
            self.err(_text_len_error(ID_LIMIT), ptr)

    def options(self, options: Any, ptr: str, max_items: int) -> None:
        if not isinstance(options, list) or not options:
            self.err("must provide at least 1 option", ptr)
            return
        if len(options) > max_items:
            self.err(f"must provide no more than {max_items} items", ptr)
        for i, option in enumerate(options):
            if not isinstance(option, dict):
                self.err("must be an option object", f"{ptr}/{i}")
                continue
            self.text(option.get("text"), f"{ptr}/{i}/text", 75)
            value = option.get("value")
            if not isinstance(value, str) or len(value) > 150:
                self.err("must be a string of at most 150 characters", f"{ptr}/{i}/value")

    def element(self, el: Any, ptr: str, action_ids: set[str]) -> None:
        if not isinstance(el, dict):
            self.err("must be an element object", ptr)
            return
        etype = el.get("type")
        if not isinstance(etype, str) or not etype:
            self.err("missing required field: type", ptr)
            return
        if "action_id" in el:
            action_id = el["action_id"]
            self.ident(action_id, f"{ptr}/action_id")
            if isinstance(action_id, str):
                if action_id in action_ids:
                    self.err(f"duplicate action_id: {action_id}", f"{ptr}/action_id")
                action_ids.add(action_id)
        if etype == "button":
            self.text(el.get("text"), f"{ptr}/text", BUTTON_TEXT_LIMIT, plain_only=True)
            value = el.get("value")
            if value is not None and (
                not isinstance(value, str) or len(value) > BUTTON_VALUE_LIMIT
            ):
                self.err(_text_len_error(BUTTON_VALUE_LIMIT), f"{ptr}/value")
            url = el.get("url")
            if url is not None and (not isinstance(url, str) or len(url) > 3000):
                self.err(_text_len_error(3000), f"{ptr}/url")
            if el.get("style") not in (None, "primary", "danger"):
                self.err("must be one of primary, danger", f"{ptr}/style")
        elif etype in ("static_select", "multi_static_select"):
            if "option_groups" in el:
                groups = el["option_groups"]
                if not isinstance(groups, list) or not groups:
                    self.err("must provide at least 1 option group", f"{ptr}/option_groups")
                else:
                    for g, group in enumerate(groups):
                        options = group.get("options") if isinstance(group, dict) else None
                        self.options(options, f"{ptr}/option_groups/{g}/options", 100)
            else:
                self.options(el.get("options"), f"{ptr}/options", 100)
        elif etype == "overflow":
            self.options(el.get("options"), f"{ptr}/options", 5)
        elif etype in ("checkboxes", "radio_buttons"):
            self.options(el.get("options"), f"{ptr}/options", 10)
        elif etype == "plain_text_input":
            max_length = el.get("max_length")
            if max_length is not None and (not isinstance(max_length, int) or max_length > 3000):
                self.err("must be at most 3000", f"{ptr}/max_length")
        if "placeholder" in el:
            self.text(el["placeholder"], f"{ptr}/placeholder", 150, plain_only=True)

    def block(self, block: Any, ptr: str, block_ids: set[str]) -> None:
        if not isinstance(block, dict):
            self.err("must be a block object", ptr)
            return
        btype = block.get("type")
        if not isinstance(btype, str) or not btype:
            self.err("missing required field: type", ptr)
            return
        if btype not in _BLOCK_TYPES:
            self.err(f"unsupported block type: {btype}", f"{ptr}/type")
            return
        if "block_id" in block:
            block_id = block["block_id"]
            self.ident(block_id, f"{ptr}/block_id")
            if isinstance(block_id, str):
                if block_id in block_ids:
                    self.err(f"duplicate block_id: {block_id}", f"{ptr}/block_id")
                block_ids.add(block_id)
        action_ids: set[str] = set()
        if btype == "section":
            if "text" not in block and "fields" not in block:
                self.err("must provide either text or fields", ptr)
            if "text" in block:
                self.text(block["text"], f"{ptr}/text", SECTION_TEXT_LIMIT)
            if "fields" in block:
                fields = block["fields"]
                if not isinstance(fields, list) or not fields:
                    self.err("must provide at least 1 item", f"{ptr}/fields")
                else:
                    if len(fields) > SECTION_FIELDS_MAX:
                        self.err(
                            f"must provide no more than {SECTION_FIELDS_MAX} items", f"{ptr}/fields"
                        )
                    for i, item in enumerate(fields):
                        self.text(item, f"{ptr}/fields/{i}", SECTION_FIELD_LIMIT)
            if "accessory" in block:
                self.element(block["accessory"], f"{ptr}/accessory", action_ids)
        elif btype == "header":
            self.text(block.get("text"), f"{ptr}/text", HEADER_TEXT_LIMIT, plain_only=True)
        elif btype == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err("must provide at least 1 item", f"{ptr}/elements")
                return
            if len(elements) > CONTEXT_ELEMENTS_MAX:
                self.err(
                    f"must provide no more than {CONTEXT_ELEMENTS_MAX} items", f"{ptr}/elements"
                )
            for i, item in enumerate(elements):
                if isinstance(item, dict) and item.get("type") == "image":
                    continue
                self.text(item, f"{ptr}/elements/{i}", CONTEXT_TEXT_LIMIT)
        elif btype == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err("must provide at least 1 item", f"{ptr}/elements")
                return
            if len(elements) > ACTIONS_ELEMENTS_MAX:
                self.err(
                    f"must provide no more than {ACTIONS_ELEMENTS_MAX} items", f"{ptr}/elements"
                )
            for i, item in enumerate(elements):
                self.element(item, f"{ptr}/elements/{i}", action_ids)
        elif btype == "input":
            self.text(block.get("label"), f"{ptr}/label", 2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{ptr}/hint", 2000, plain_only=True)
            if "element" not in block:
                self.err("missing required field: element", ptr)
            else:
                self.element(block["element"], f"{ptr}/element", action_ids)
        elif btype == "image":
            if "image_url" not in block and "slack_file" not in block:
                self.err("missing required field: image_url", ptr)
            alt = block.get("alt_text")
            if not isinstance(alt, str) or not alt or len(alt) > 2000:
                self.err("missing or too long field: alt_text", f"{ptr}/alt_text")
        elif btype == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or len(text) > 12_000:
                self.err(_text_len_error(12_000), f"{ptr}/text")


def validate_blocks(
    blocks: Any, *, max_blocks: int = MESSAGE_BLOCK_LIMIT, root: str = "/blocks"
) -> list[str]:
    """Return Slack-style `invalid_blocks` messages for a block list; empty when valid."""
    checker = _Validator()
    if not isinstance(blocks, list):
        checker.err("must be an array", root)
        return checker.errors
    if len(blocks) > max_blocks:
        checker.err(f"must provide no more than {max_blocks} items", root)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        checker.block(block, f"{root}/{i}", block_ids)
    return checker.errors


def validate_view(view: Any, *, kind: str = "modal") -> list[str]:
    """Return Slack-style validation messages for a view payload; empty when valid."""
    checker = _Validator()
    if not isinstance(view, dict):
        checker.err("must be an object", "/view")
        return checker.errors
    if view.get("type") != kind:
        checker.err(f"must be {kind}", "/view/type")
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", VIEW_TITLE_LIMIT, plain_only=True)
    for key in ("submit", "close"):
        if view.get(key) is not None:
            checker.text(view[key], f"/view/{key}", VIEW_TITLE_LIMIT, plain_only=True)
    for key, limit in (
        ("callback_id", ID_LIMIT),
        ("external_id", ID_LIMIT),
        ("private_metadata", 3000),
    ):
        value = view.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            checker.err(_text_len_error(limit), f"/view/{key}")
    blocks = view.get("blocks")
    checker.errors.extend(
        validate_blocks(blocks, max_blocks=MODAL_BLOCK_LIMIT, root="/view/blocks")
    )
    has_input = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if kind == "modal" and has_input and not view.get("submit"):
        checker.err(
            "submit is required when an input block is within the blocks array", "/view/submit"
        )
    return checker.errors


def blocks_text(blocks: Iterable[dict[str, Any]]) -> str:
    """Flatten blocks to readable plain text (for transcripts and assertions)."""
    lines: list[str] = []

    def text_of(obj: Any) -> str:
        return str(obj.get("text", "")) if isinstance(obj, dict) else ""

    for block in blocks:
        btype = block.get("type")
        if btype in ("section", "header"):
            if "text" in block:
                lines.append(text_of(block["text"]))
            fields = block.get("fields") or []
            if fields:
                lines.append(" | ".join(text_of(f) for f in fields))
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                lines.append(f"[{text_of(accessory.get('text'))}]")
        elif btype == "context":
            lines.append(
                " ".join(text_of(e) for e in block.get("elements") or [] if isinstance(e, dict))
            )
        elif btype == "actions":
            labels = []
            for el in block.get("elements") or []:
                label = (
                    text_of(el.get("text")) or text_of(el.get("placeholder")) or str(el.get("type"))
                )
                labels.append(f"[{label}]")
            lines.append(" ".join(labels))
        elif btype == "input":
            lines.append(f"{text_of(block.get('label'))}: ____")
        elif btype == "image":
            lines.append(f"<image: {block.get('alt_text', '')}>")
        elif btype == "markdown":
            lines.append(str(block.get("text", "")))
        elif btype == "divider":
            lines.append("---")
    return "\n".join(line for line in lines if line)


def _random_id(length: int = 5) -> str:
    return "".join(_ids_rng.choices(_ID_ALPHABET, k=length))


def fill_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of `blocks` with the block_id/action_id Slack assigns when the app omits them."""
    filled = copy.deepcopy(blocks)
    for block in filled:
        if isinstance(block, dict):
            block.setdefault("block_id", _random_id())
            elements: list[Any] = (
                list(block.get("elements") or []) if block.get("type") == "actions" else []
            )
            elements += [
                block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)
            ]
            for element in elements:
                if isinstance(element, dict) and element.get("type") not in ("image",):
                    element.setdefault("action_id", _random_id())
    return filled
