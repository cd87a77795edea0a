"""Faults a flapping Slack shows: 429s, 5xx (some after the work was done), slow answers."""

from __future__ import annotations

import random
from collections.abc import Iterable

from firefighter.emulators.slack.model import FaultConfig
from firefighter.emulators.slack.state import EmulatorState


class FaultInjection(EmulatorState):
    """Failure probabilities per Web API call, and errors forced on the next calls."""

    def _init_faults(self) -> None:
        self._faults = FaultConfig()
        self._fault_rng = random.Random()
        self._faults_injected = 0
        self._forced: dict[str, list[str]] = {}
        self._delays: dict[str, list[float]] = {}

    def faults(
        self,
        rate_429: float = 0.0,
        rate_500: float = 0.0,
        slow_rate: float = 0.0,
        slow_seconds: float = 2.0,
        retry_after: int = 1,
        seed: int | None = None,
        methods: Iterable[str] | None = None,
        limit: int | None = None,
        after_work: float = 0.0,
    ) -> None:
        """Set failure probabilities for Web API calls; no arguments turns faults off.

        `methods` restricts faults to those Web API methods; `limit` stops after that many.
        `after_work` is the share of 500s answered after the call did its work: Slack says
        an `internal_error` may come after part of the work was done.
        """
        if not 0.0 <= after_work <= 1.0:
            raise ValueError("after_work must be between 0 and 1")
        for rate in (rate_429, rate_500, slow_rate):
            if not 0.0 <= rate <= 1.0:
                raise ValueError("fault rates must be between 0 and 1")
        if rate_429 + rate_500 > 1.0:
            raise ValueError("rate_429 + rate_500 must not exceed 1")
        with self._lock:
            self._faults = FaultConfig(
                rate_429=rate_429,
                rate_500=rate_500,
                slow_rate=slow_rate,
                slow_seconds=slow_seconds,
                retry_after=retry_after,
                methods=frozenset(methods) if methods is not None else None,
                limit=limit,
                after_work=after_work,
            )
            self._fault_rng = random.Random(seed)
            self._faults_injected = 0

    def fail_next(self, method: str, error: str = "channel_not_found", times: int = 1) -> None:
        """Make the next `times` calls to `method` answer `{"ok": false, "error": error}`."""
        with self._lock:
            self._forced.setdefault(method, []).extend([error] * times)

    def slow_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Make the next `times` calls to `method` answer only after `seconds` (the work is
        done after the wait, as a slow Slack does it; a trigger_id may expire meanwhile)."""
        with self._lock:
            self._delays.setdefault(method, []).extend([seconds] * times)

    def _draw_delay(self, method: str) -> float:
        delays = self._delays.get(method)
        return delays.pop(0) if delays else 0.0

    def _draw_fault(self, method: str) -> str | None:
        config = self._faults
        if config.methods is not None and method not in config.methods:
            return None
        if config.limit is not None and self._faults_injected >= config.limit:
            return None
        fault = self._roll_fault(config)
        if fault is not None:
            self._faults_injected += 1
        return fault

    def _roll_fault(self, config: FaultConfig) -> str | None:
        if config.rate_429 or config.rate_500:
            roll = self._fault_rng.random()
            if roll < config.rate_429:
                return "ratelimited"
            if roll < config.rate_429 + config.rate_500:
                return "server_error"
        if config.slow_rate and self._fault_rng.random() < config.slow_rate:
            return "slow"
        return None

    def _after_work(self) -> bool:
        """Whether this 500 comes after the work (drawn with the faults' generator)."""
        return bool(self._faults.after_work) and self._fault_rng.random() < self._faults.after_work
