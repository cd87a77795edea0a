"""Slack Web API emulator and signed request driver for FireFighter's tests and demo."""

from firefighter.emulators.slack_driver import BotResponse, SlackDriver
from firefighter.emulators.slack_emulator import (
    Call,
    Channel,
    FaultConfig,
    Message,
    MessageVersion,
    ResponsePost,
    SlackEmulator,
    SlackError,
    TranscriptEntry,
    UploadedFile,
    User,
    Usergroup,
    View,
    blocks_text,
    channel_name_error,
    validate_blocks,
    validate_view,
)

__all__ = [
    "BotResponse",
    "Call",
    "Channel",
    "FaultConfig",
    "Message",
    "MessageVersion",
    "ResponsePost",
    "SlackDriver",
    "SlackEmulator",
    "SlackError",
    "TranscriptEntry",
    "UploadedFile",
    "User",
    "Usergroup",
    "View",
    "blocks_text",
    "channel_name_error",
    "validate_blocks",
    "validate_view",
]
