"""The Slack bot fixture, shared with the follow-up tests."""

from tests.slack.conftest import bot  # noqa: F401
