"""Noticing that the database went away and came back, for the loops that poll it.

The outbox worker, the schedules and the Game Day ticker poll the database every fraction of
a second. While it is unreachable each of them backs off (exponentially, capped) and logs one
line when it goes and one when it comes back, instead of a traceback per poll.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import exc


def unreachable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached (rather than a bug or bad data)."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError)


class DatabaseWatch:
    """The state of one polling loop's database: up, or away since when; and how long to wait.

    Threads running the same loop (the worker's delivery threads) share one watch, so the
    process says it once, not once per thread.
    """

    def __init__(
        self, name: str, log: logging.Logger, *, base: float = 0.5, cap: float = 30.0
    ) -> None:
        self.name = name
        self.log = log
        self.base = base
        self.cap = cap
        self.failures = 0
        self.away_since: float | None = None
        self._lock = threading.Lock()

    @property
    def away(self) -> bool:
        """Whether the last poll found the database unreachable."""
        return self.away_since is not None

    def failed(self, error: BaseException, what: str = "poll failed") -> float | None:
        """Record a failed poll; the seconds to wait before the next, or None to poll as usual.

        A database that cannot be reached is logged once, without a traceback, and backed
        off; any other error is a bug worth its traceback every time.
        """
        if not unreachable(error):
            self.log.exception("%s: %s", self.name, what)
            return None
        with self._lock:
            self.failures += 1
            failures = self.failures
            first = self.away_since is None
            if first:
                self.away_since = time.monotonic()
        if first:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
            self.log.warning(
                "%s: the database is unreachable (%s); retrying quietly, backing off up to %.0f s",
                self.name,
                reason,
                self.cap,
            )
        return float(min(self.cap, self.base * 2 ** min(failures - 1, 30)))

    def succeeded(self, began: float | None = None) -> None:
        """Record a poll that reached the database; `began` (monotonic) is when it started.

        A poll that started before another thread saw the database go proves nothing about
        now: counting it as the return would say "back" and then "unreachable" again.
        """
        if self.away_since is None:  # the usual case: no lock taken
            return
        with self._lock:
            if began is not None and self.away_since is not None and began < self.away_since:
                return
            since, self.away_since, self.failures = self.away_since, None, 0
        if since is not None:
            self.log.warning(
                "%s: the database is back after %.0f s", self.name, time.monotonic() - since
            )
