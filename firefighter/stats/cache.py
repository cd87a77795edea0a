"""The figures of each offered period, kept for a minute: a dashboard watched by many people
costs one computation a minute per period instead of one per view.

Why not faster queries: at 100,000 incidents the figures of 90 days rank every duration of
two 90-day periods (about 190,000 values) and count 300,000 follow-ups; that is ~0.7 s of
SQL (bench/console.py), ~0.15 s of it only reading the rows through the milestone indexes.
No query shape reaches the console's 50 ms without new tables or indexes.

A view gets the last figures computed, with the instant they are of (`Metrics.now`), so they
equal `firefighter stats --format json` run at that instant. Once they are older than
`max_age` seconds the same figures are still served while one background thread computes
the next; only the first view of a period waits, and a view waits again only when the
figures are so old (`max_age * STALE_LIMIT`) that the background computation must be failing
(then the view shows its error instead of old numbers forever).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

MAX_AGE = 60.0
KEPT_PERIODS = (7, 30, 90, 365)
"""The periods the console offers (and the API's usual ones): the only ones kept."""
Figures = TypeVar("Figures")
"""What is kept: the metrics, or the chart of the weeks (its PNG)."""
STALE_LIMIT = 10


@dataclass(frozen=True)
class _Kept(Generic[Figures]):
    value: Figures
    computed: float  # monotonic seconds


class FiguresCache(Generic[Figures]):
    """`get(days)`: the figures of the last `days` days, computed by `compute(days)`.

    Only `periods` are kept (the ones the pages offer); any other length is computed per view.
    The chart of the weeks is kept the same way, by number of weeks.
    """

    def __init__(
        self,
        compute: Callable[[int], Figures],
        *,
        periods: Iterable[int] = KEPT_PERIODS,
        max_age: float = MAX_AGE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._compute = compute
        self._max_age = max_age
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._kept: dict[int, _Kept[Figures]] = {}
        self._refreshing: set[int] = set()
        # One lock per period: simultaneous first views compute it once, not once each.
        self._first = {days: threading.Lock() for days in periods}

    def get(self, days: int) -> Figures:
        """The figures of `days` days: kept ones when fresh enough, else computed now."""
        if days not in self._first:
            return self._compute(days)
        kept = self._fresh_enough(days)
        if kept is not None:
            return kept
        with self._first[days]:
            kept = self._fresh_enough(days)
            if kept is not None:
                return kept
            return self._store(days)

    def _fresh_enough(self, days: int) -> Figures | None:
        """Kept figures if any may be shown; starts their refresh when they are old."""
        with self._lock:
            kept = self._kept.get(days)
            if kept is None:
                return None
            age = self._monotonic() - kept.computed
            if age >= self._max_age * STALE_LIMIT:
                return None
            if age >= self._max_age and days not in self._refreshing:
                self._refreshing.add(days)
                threading.Thread(
                    target=self._refresh, args=(days,), name=f"figures-{days}d", daemon=True
                ).start()
            return kept.value

    def _store(self, days: int) -> Figures:
        metrics = self._compute(days)
        with self._lock:
            self._kept[days] = _Kept(metrics, self._monotonic())
        return metrics

    def _refresh(self, days: int) -> None:
        try:
            with self._first[days]:
                self._store(days)
        except Exception as error:  # a daemon thread: logged, and the next view tries again
            first_line = (str(error).splitlines() or [type(error).__name__])[0]
            log.warning("figures of %s (days or weeks) not refreshed: %s", days, first_line)
        finally:
            with self._lock:
                self._refreshing.discard(days)
