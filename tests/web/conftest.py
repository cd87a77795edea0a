"""The bot served over HTTP with the Slack emulator (as tests/slack), for the REST API."""

from __future__ import annotations

from tests.slack.conftest import bot

__all__ = ["bot"]
