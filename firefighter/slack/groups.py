"""Slack user-group membership, cached: who is in the admin or declarer groups."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class UserGroups:
    """`members(group_id)` from `usergroups.users.list`, remembered for `ttl` seconds."""

    def __init__(self, client: WebClient, ttl: float = 300.0) -> None:
        self.client = client
        self.ttl = ttl
        self._cache: dict[str, tuple[float, set[str]]] = {}
        self._lock = threading.Lock()

    def members(self, group_id: str) -> set[str]:
        """The group's members; the last known list (or nobody) when Slack cannot answer."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(group_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        try:
            answer = self.client.usergroups_users_list(usergroup=group_id)
            found = {str(user) for user in answer.get("users") or []}
        except (SlackApiError, OSError) as error:
            # Failing closed: without an answer nobody gains rights from this group.
            log.warning("could not read user group %s: %s", group_id, error)
            return cached[1] if cached is not None else set()
        with self._lock:
            self._cache[group_id] = (now, found)
        return found
