"""The one Slack Web API client, with retries for rate limits, 5xx and connection errors."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from firefighter.settings import Settings


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
