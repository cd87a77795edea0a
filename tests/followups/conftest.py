"""The Slack bot fixture, and a Jira emulator the bot's follow-ups go to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from firefighter.bootstrap import Core
from firefighter.emulators.jira import JiraEmulator
from tests.slack.conftest import bot  # noqa: F401

WEBHOOK_SECRET = "jira-webhook-secret"


@pytest.fixture(params=["datacenter"])
def jira(request: pytest.FixtureRequest, core: Core) -> Iterator[JiraEmulator]:
    """A Jira emulator wired into the settings (set before the bot is built)."""
    cloud = request.param == "cloud"
    emulator = JiraEmulator(cloud=cloud).start()
    emulator.add_user("bob@example.com", "Bob Builder")
    settings = core.settings
    settings.jira_url = emulator.url
    settings.jira_username = emulator.username
    settings.jira_api_token = emulator.password
    settings.jira_project = "OPS"
    settings.jira_cloud = cloud
    settings.jira_webhook_secret = WEBHOOK_SECRET
    core.followups.jira = True
    try:
        yield emulator
    finally:
        emulator.stop()
