"""The Jira REST client for the settings (Cloud or Data Center) and the calls FireFighter makes."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from atlassian import Jira
from atlassian.rest_client import AtlassianRestAPI

from firefighter.atlassian_site import is_cloud_url
from firefighter.outbox import PermanentFailure
from firefighter.settings import ConfigError, Settings

DONE = "done"
"""The status category key of finished issues."""


def make_client(settings: Settings, *, timeout: int = 20) -> Any:
    """A Jira client: Cloud with e-mail + API token, Data Center with user + password or a PAT."""
    url = (settings.jira_url or "").strip().rstrip("/")
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).hostname:
        raise ConfigError(
            f"JIRA_URL: expected a URL such as https://acme.atlassian.net (got {url!r})"
        )
    if not settings.jira_api_token:
        raise ConfigError(
            "JIRA_API_TOKEN: set the API token (Cloud) or password/PAT of the bot user"
        )
    cloud = is_cloud_url(url) if settings.jira_cloud is None else settings.jira_cloud
    kwargs: dict[str, Any] = {
        "timeout": timeout,
        "cloud": cloud,
        # The outbox retries with backoff; the client must not sleep inside a handler.
        "backoff_and_retry": False,
    }
    if settings.jira_username:
        kwargs["username"] = settings.jira_username
        kwargs["password"] = settings.jira_api_token
    elif cloud:
        raise ConfigError("JIRA_USERNAME: Jira Cloud needs the bot account's e-mail address")
    else:
        kwargs["token"] = settings.jira_api_token
    accepted = inspect.signature(AtlassianRestAPI.__init__).parameters
    return Jira(url, **{k: v for k, v in kwargs.items() if k in accepted})


def _status(issue: Any) -> dict[str, Any]:
    # Tolerant of any shape: a field of the wrong type reads as absent, never as an error.
    fields = issue.get("fields") if isinstance(issue, dict) else None
    status = fields.get("status") if isinstance(fields, dict) else None
    return status if isinstance(status, dict) else {}


def category(issue: dict[str, Any]) -> str:
    """The status category key of an issue as REST answers it ("" when it carries none)."""
    status_category = _status(issue).get("statusCategory")
    if not isinstance(status_category, dict):
        return ""
    return str(status_category.get("key") or "")


def status_name(issue: dict[str, Any]) -> str:
    """The status name of an issue."""
    return str(_status(issue).get("name") or "")


def search(client: Any, jql: str, fields: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Issues matching `jql` (Cloud: /search/jql; Data Center: /search)."""
    answer = client.jql(jql, fields=fields, limit=limit)
    return list((answer or {}).get("issues") or [])


def find_account(client: Any, email: str) -> dict[str, Any] | None:
    """The assignee field for the Jira user with `email`, or None when Jira does not know it."""
    if client.cloud:
        found = client.user_find_by_user_string(query=email)
    else:
        found = client.user_find_by_user_string(username=email)
    for user in found if isinstance(found, list) else []:
        if str(user.get("emailAddress") or "").lower() == email.lower():
            return {"accountId": user["accountId"]} if client.cloud else {"name": user["name"]}
    return None


def refusal_status(error: BaseException) -> int | None:
    """The HTTP status of a refusal Jira answered, if `error` is one."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def is_permanent(status: int | None) -> bool:
    """A refusal that retrying cannot change: a 4xx other than a timeout, conflict or rate limit."""
    return status is not None and 400 <= status < 500 and status not in (408, 409, 429)


@contextmanager
def permanent_refusals(what: str) -> Iterator[None]:
    """Turn Jira's permanent refusals into PermanentFailure (dead letter now, with a notice);
    everything else (5xx, 429, timeouts) propagates and is retried with backoff."""
    try:
        yield
    except Exception as error:
        status = refusal_status(error)
        if not is_permanent(status):
            raise
        detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else "no detail"
        raise PermanentFailure(
            f"Jira refused to {what} ({status}: {detail}); retrying cannot help: fix the Jira "
            "project, permissions or settings"
        ) from error
