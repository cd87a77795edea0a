"""The one Slack Web API client, with retries for rate limits, 5xx and connection errors."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from firefighter.settings import Settings


class AuthTestRetryHandler(ServerErrorRetryHandler):
    """Retries `auth.test` once on a 500/503, and nothing else.

    Bolt asks `auth.test` lazily on a fresh process's first request (to know the bot's own
    ids); one 500 there would answer that person with Bolt's "installation no longer
    available". It changes nothing at Slack, so a second try is safe; other calls made inside
    a request are not retried (a post retried after a 500 may be a second post).
    """

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return request.url.endswith("auth.test") and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


def make_client(settings: Settings, *, timeout: int = 10) -> WebClient:
    """A WebClient on `SLACK_API_URL` that honours Retry-After and retries transient errors."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        # RateLimitErrorRetryHandler sleeps for Slack's Retry-After before trying again.
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


REQUEST_CALL_SECONDS = 2
"""Limit of a Web API call made while answering Slack (views.open, an ephemeral): Slack
gives the whole answer 3 s, and a trigger_id expires after 3 s too."""


def request_client(client: WebClient) -> WebClient:
    """`client` for calls made inside a Slack request: a short limit and no retries, so that
    a slow Slack becomes "try again" within the 3 s instead of a silent timeout."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=REQUEST_CALL_SECONDS,
        retry_handlers=[AuthTestRetryHandler(max_retry_count=1)],
    )
