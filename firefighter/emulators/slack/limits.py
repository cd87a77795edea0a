"""Slack's documented limits and naming rules, as the emulator enforces them."""

from __future__ import annotations

MESSAGE_TEXT_LIMIT = 40_000
MESSAGE_BLOCK_LIMIT = 50
MODAL_BLOCK_LIMIT = 100
SECTION_TEXT_LIMIT = 3000
SECTION_FIELD_LIMIT = 2000
SECTION_FIELDS_MAX = 10
HEADER_TEXT_LIMIT = 150
CONTEXT_TEXT_LIMIT = 3000
CONTEXT_ELEMENTS_MAX = 10
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ACTIONS_ELEMENTS_MAX = 25
ID_LIMIT = 255
VIEW_TITLE_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000
CHANNEL_NAME_LIMIT = 80
TOPIC_LIMIT = 250
PINS_MAX = 100
VIEW_STACK_MAX = 3
RESPONSE_URL_LIFETIME = 30 * 60


def channel_name_error(name: str) -> str | None:
    """Return Slack's error code for an invalid channel name, or None when it is valid."""
    if not name:
        return "invalid_name_required"
    if len(name) > CHANNEL_NAME_LIMIT:
        return "invalid_name_maxlength"
    for char in name:
        # Slack accepts letters of any script as long as they are not upper case.
        if not (char in "-_" or char.isdigit() or (char.isalpha() and not char.isupper())):
            return "invalid_name_specials"
    if all(char in "-_" for char in name):
        return "invalid_name_punctuation"
    return None
