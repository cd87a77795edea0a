"""For providers other than Slack: the Slack user with the id token's e-mail address."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from firefighter.web.signin.routes import FindByEmail

log = logging.getLogger(__name__)


def slack_user_by_email(client: WebClient) -> FindByEmail:
    """`users.lookupByEmail` (scope `users:read.email`): the user id, or None when no one has
    that address or Slack does not answer (the person is then told, not signed in)."""

    def find(email: str) -> str | None:
        try:
            answer = client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error.response.get("error") != "users_not_found":
                log.warning("users.lookupByEmail failed: %s", error.response.get("error"))
            return None
        except SlackClientError as error:
            log.warning("users.lookupByEmail failed: %s", error)
            return None
        user = answer.get("user") or {}
        return str(user["id"]) if user.get("id") and not user.get("deleted") else None

    return find
