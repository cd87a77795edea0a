"""Who may post alerts: a bearer token, or PagerDuty's signature. Constant-time comparisons."""

from __future__ import annotations

import hashlib
import hmac


def bearer_ok(authorization: str | None, token: str) -> bool:
    """Whether `Authorization: Bearer <token>` carries `token`."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def pagerduty_signature(body: bytes, secret: str) -> str:
    """The `v1=<hex HMAC-SHA256>` PagerDuty computes for `body`."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pagerduty_ok(signatures: str | None, body: bytes, secret: str) -> bool:
    """Whether one of the `X-PagerDuty-Signature` values signs `body` with `secret`.

    PagerDuty sends several, comma-separated, while a subscription's secret is rotated.
    """
    if not secret or not signatures:
        return False
    expected = pagerduty_signature(body, secret).encode()
    # Every candidate is compared, so the time taken does not tell which one matched.
    matched = False
    for candidate in signatures.split(","):
        matched |= hmac.compare_digest(candidate.strip().encode(), expected)
    return matched
