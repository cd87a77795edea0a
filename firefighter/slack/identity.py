"""Who the bot is at Slack (`auth.test`), asked once per process and kept.

Bolt needs the bot's own user and bot ids before it runs a listener. Left to itself, it asks
`auth.test` on a fresh process's first request, inside Slack's 3 s and without retries: a
429 or a slow answer there told that person "installation no longer available" or "the
database is unavailable" while nothing was wrong (seen on rolling restarts, where every
replica is fresh). Here the answer is fetched at start-up in the background with the patient
client (Retry-After honoured, 5xx and connection errors retried), and a request that comes
before it has arrived asks once with the short client; the first answer is kept for good
(a bot's ids never change).
"""

from __future__ import annotations

import logging
import threading
import time

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.context import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

# Between two tries of the background fetch while Slack does not answer (the client's own
# retries come first).
RETRY_SECONDS = 5.0


class BotIdentity(Authorize):
    """Bolt's `authorize` for one workspace: the bot token and the ids `auth.test` gave."""

    def __init__(self, patient: WebClient, short: WebClient) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._patient = patient
        self._short = short
        self._answer: SlackResponse | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._warned = False

    @property
    def known(self) -> bool:
        """Whether Slack has said who the bot is."""
        return self._answer is not None

    def fetch_in_background(self) -> threading.Thread:
        """Ask Slack until it answers (or `stop()`), on a daemon thread; returns it."""
        thread = threading.Thread(target=self._fetch_until_known, name="auth-test", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """End the background fetch."""
        self._stopped.set()

    def _fetch_until_known(self) -> None:
        while not self.known and not self._stopped.is_set():
            if self._ask(self._patient) is not None:
                return
            self._stopped.wait(RETRY_SECONDS)

    def _ask(self, client: WebClient) -> SlackResponse | None:
        started = time.monotonic()
        try:
            answer = client.auth_test()
        except (SlackApiError, SlackClientError, OSError) as error:
            # Said once per outage, not at every retry; the recovery is said too.
            (log.debug if self._warned else log.warning)(
                "auth.test failed after %.1f s (%s); the bot's ids are still unknown",
                time.monotonic() - started,
                type(error).__name__,
            )
            self._warned = True
            return None
        if self._warned:
            log.warning("auth.test answered: the bot's ids are known")
        with self._lock:
            if self._answer is None:
                self._answer = answer
            return self._answer

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        answer = self._answer or self._ask(self._short)
        if answer is None:
            return None  # Bolt tells the person it could not authorise the request
        return AuthorizeResult.from_auth_test_response(
            bot_token=self._short.token, auth_test_response=answer
        )
