"""Slack Web API emulator and signed request driver for FireFighter's tests and demo."""

from firefighter.emulators.slack.blockkit import blocks_text, validate_blocks, validate_view
from firefighter.emulators.slack.driver import BotResponse, SlackDriver
from firefighter.emulators.slack.emulator import SlackEmulator
from firefighter.emulators.slack.limits import channel_name_error
from firefighter.emulators.slack.model import (
    Call,
    Channel,
    FaultConfig,
    Message,
    MessageVersion,
    ResponsePost,
    SlackError,
    TranscriptEntry,
    UploadedFile,
    User,
    Usergroup,
    View,
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
