"""Interactive Block Kit elements as a user meets them: found in blocks, filled in a view."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

from firefighter.emulators.slack.model import Message, View

# Element type -> the key Slack uses for its value in view state.
_STATE_KEYS = {
    "plain_text_input": "value",
    "number_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "rich_text_input": "rich_text_value",
}
_LIST_KEYS = {
    "selected_options",
    "selected_users",
    "selected_conversations",
    "selected_channels",
}
# Where an element's initial value lives; Slack submits it when the user leaves it alone.
_INITIAL_KEYS = {
    "value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "rich_text_value": "initial_value",
}


def options_of(element: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The options of a menu, option groups included."""
    yield from element.get("options") or []
    for group in element.get("option_groups") or []:
        yield from group.get("options") or []


def interactive_elements(
    blocks: list[dict[str, Any]],
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each interactive element of `blocks`, with the block holding it."""
    for block in blocks:
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                yield block, element
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                yield block, block[key]


def plain(text: str) -> dict[str, Any]:
    """A plain_text object, as Slack echoes labels back."""
    return {"type": "plain_text", "text": text, "emoji": True}


def find_element(
    message: Message, element_type: str, action_id: str, value: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (block, element) the bot drew in `message`; LookupError if absent or ambiguous."""
    matches = [
        (block, element)
        for block, element in interactive_elements(message.blocks)
        if element.get("type") == element_type and element.get("action_id") == action_id
    ]
    if value is not None:
        matches = [(b, e) for b, e in matches if e.get("value") == value]
    distinct_values = {e.get("value") for _, e in matches}
    if not matches or len(distinct_values) > 1:
        drawn = [
            f"{e.get('type')}:{e.get('action_id')}={e.get('value')!r}"
            for _, e in interactive_elements(message.blocks)
        ]
        reason = "is ambiguous" if matches else "is not drawn"
        raise LookupError(
            f"{element_type} action_id={action_id!r} value={value!r} {reason} in message "
            f"{message.ts}; drawn elements: {drawn or 'none'}"
        )
    return matches[0]


def _state_value(element: dict[str, Any], key: str, value: Any) -> Any:
    etype = element.get("type")
    if key in ("selected_option", "selected_options"):
        wanted = value if isinstance(value, list) else [value]
        if etype in ("external_select", "multi_external_select"):
            chosen = [{"text": plain(str(v)), "value": str(v)} for v in wanted]
        else:
            options = {o.get("value"): o for o in options_of(element)}
            missing = [v for v in wanted if v not in options]
            if missing:
                raise LookupError(
                    f"{etype} {element.get('action_id')!r} has no option {missing}; "
                    f"offered: {list(options)}"
                )
            chosen = [copy.deepcopy(options[v]) for v in wanted]
        return chosen if key == "selected_options" else chosen[0]
    if key == "selected_date_time":
        return int(value.timestamp()) if isinstance(value, datetime) else int(value)
    if key == "selected_date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if key == "selected_time":
        return value.strftime("%H:%M") if isinstance(value, clock_time) else str(value)
    if key == "rich_text_value" and isinstance(value, str):
        return {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": value}]}
            ],
        }
    if key in _LIST_KEYS:
        return list(value)
    return value if key != "value" else str(value)


def _empty_state(element: dict[str, Any], key: str) -> Any:
    initial = element.get(_INITIAL_KEYS.get(key, ""))
    if initial is not None:
        return copy.deepcopy(initial)
    return [] if key in _LIST_KEYS else None


def view_state(view: View, values: dict[str, Any]) -> dict[str, Any]:
    """The `state.values` Slack would send for a view filled with `values` (by action_id)."""
    state: dict[str, dict[str, Any]] = {}
    unused = set(values)
    for block, element in interactive_elements(view.view.get("blocks") or []):
        etype = str(element.get("type"))
        key = _STATE_KEYS.get(etype)
        action_id = element.get("action_id")
        if key is None or not action_id:
            continue
        is_input = block.get("type") == "input"
        if not is_input and action_id not in values:
            continue
        entry: dict[str, Any] = {"type": etype}
        if action_id in values:
            entry[key] = _state_value(element, key, values[action_id])
            unused.discard(action_id)
        else:
            entry[key] = _empty_state(element, key)
        if etype == "timepicker" and element.get("timezone"):
            entry["timezone"] = element["timezone"]
        state.setdefault(str(block.get("block_id")), {})[action_id] = entry
    if unused:
        raise LookupError(f"view {view.id} has no stateful element with action_id {sorted(unused)}")
    return state
