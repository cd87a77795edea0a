"""The figures kept per period (stats/cache.py): computed once a minute, never shown older
than the limit, refreshed behind the viewer's back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from firefighter.stats.cache import MAX_AGE, STALE_LIMIT, FiguresCache


class Computations:
    """A stand-in for `measure`: numbers each computation, can fail or block on demand."""

    def __init__(self) -> None:
        self.done: list[int] = []
        self.fail = False
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, days: int) -> Any:
        self.gate.wait(5)
        if self.fail:
            raise RuntimeError("database away")
        self.done.append(days)
        return (days, len(self.done))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settle(cache: FiguresCache, until: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not until() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert until()


def test_a_period_is_computed_once_while_fresh() -> None:
    compute, clock = Computations(), Clock()
    cache = FiguresCache(compute, periods=(30,), monotonic=clock)
    assert cache.get(30) == (30, 1)
    clock.now += MAX_AGE - 1
    assert cache.get(30) == (30, 1)
    assert compute.done == [30]


def test_old_figures_are_shown_while_the_next_are_computed() -> None:
    compute, clock = Computations(), Clock()
    cache = FiguresCache(compute, periods=(30,), monotonic=clock)
    cache.get(30)
    clock.now += MAX_AGE
    compute.gate.clear()  # the refresh takes its time; the viewer does not wait for it
    assert cache.get(30) == (30, 1)
    assert cache.get(30) == (30, 1)  # one refresh at a time
    compute.gate.set()
    settle(cache, lambda: compute.done == [30, 30])
    settle(cache, lambda: cache.get(30) == (30, 2))


def test_figures_too_old_are_never_shown() -> None:
    compute, clock = Computations(), Clock()
    cache = FiguresCache(compute, periods=(30,), monotonic=clock)
    cache.get(30)
    compute.fail = True
    clock.now += MAX_AGE
    assert cache.get(30) == (30, 1)  # its refresh fails in the background
    settle(cache, lambda: not cache._refreshing)
    clock.now += MAX_AGE * STALE_LIMIT
    with pytest.raises(RuntimeError):
        cache.get(30)  # the viewer sees the failure (a 503 page), not numbers from long ago
    compute.fail = False
    assert cache.get(30) == (30, 2)


def test_other_periods_are_computed_each_time() -> None:
    compute, clock = Computations(), Clock()
    cache = FiguresCache(compute, periods=(30,), monotonic=clock)
    cache.get(12)
    cache.get(12)
    assert compute.done == [12, 12]


def test_simultaneous_first_views_compute_once() -> None:
    compute, clock = Computations(), Clock()
    cache = FiguresCache(compute, periods=(90,), monotonic=clock)
    compute.gate.clear()
    seen: list[Any] = []
    views = [threading.Thread(target=lambda: seen.append(cache.get(90))) for _ in range(4)]
    for view in views:
        view.start()
    time.sleep(0.1)
    compute.gate.set()
    for view in views:
        view.join(5)
    assert seen == [(90, 1)] * 4
    assert compute.done == [90]
