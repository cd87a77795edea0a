"""The Slack Web API emulator (with Socket Mode to come) and the signed request driver."""

from firefighter.emulators.slack.driver import BotResponse, SlackDriver
from firefighter.emulators.slack.emulator import (
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
