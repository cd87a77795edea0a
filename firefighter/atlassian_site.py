"""What Jira and Confluence both need to know of an Atlassian site from its URL."""

from __future__ import annotations

from urllib.parse import urlparse

# Atlassian Cloud sites live under these domains; anything else is Data Center (or Server).
CLOUD_DOMAINS = ("atlassian.net", "jira.com")


def is_cloud_url(url: str) -> bool:
    """Whether `url` is an Atlassian Cloud site (`*.atlassian.net`, `*.jira.com`)."""
    host = (urlparse(url).hostname or "").lower()
    return any(host == domain or host.endswith(f".{domain}") for domain in CLOUD_DOMAINS)
