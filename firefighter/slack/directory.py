"""Slack as the core's directory of people: who is in a user group (admins and declarers may
be named by group) and a person's profile (names on pages).

Built once by the composition root and handed to the core's policy and people at
construction. It talks to the Slack the settings name when it is asked (a test points them
at its emulator after the core is built), with a request's short limit, and answers "nobody"
or "unknown" without a bot token rather than calling anything.
"""

from __future__ import annotations

import threading

from slack_sdk import WebClient

from firefighter.incidents.people import Profile
from firefighter.settings import Settings
from firefighter.slack.chat_messages import profile_lookup
from firefighter.slack.client import make_client, request_client
from firefighter.slack.groups import UserGroups


class SlackDirectory:
    """User groups (cached by `UserGroups`) and profiles, through the settings' Slack."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._for: tuple[str, str] | None = None
        self._client: WebClient | None = None
        self._groups: UserGroups | None = None

    def _current(self) -> tuple[WebClient, UserGroups] | None:
        token = self.settings.slack_bot_token
        if not token:
            return None
        key = (token, self.settings.slack_api_url)
        with self._lock:
            if self._for != key or self._client is None or self._groups is None:
                self._client = request_client(make_client(self.settings))
                self._groups = UserGroups(self._client)
                self._for = key
            return self._client, self._groups

    def members(self, group_id: str) -> set[str]:
        """The group's members (nobody without a token or an answer)."""
        current = self._current()
        return current[1].members(group_id) if current is not None else set()

    def profile(self, user_id: str) -> Profile | None:
        """The person's profile (None without a token, or when Slack does not know them)."""
        current = self._current()
        return profile_lookup(current[0])(user_id) if current is not None else None
