"""What operators watch: Prometheus metrics and the outbox's health."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.incidents.alerts import Intake
from firefighter.outbox import Message
from firefighter.outbox.models import OutboxItem


class Metrics:
    """The bot's Prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "firefighter_slack_requests",
            "Requests from Slack, by kind and outcome.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "firefighter_slack_ack_seconds",
            "Time from receiving a Slack request to answering it.",
            ["kind"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
            registry=self.registry,
        )
        self.deliveries = Counter(
            "firefighter_outbox_deliveries",
            "Outbox delivery attempts, by effect kind and result (delivered, retry, dead).",
            ["kind", "result"],
            registry=self.registry,
        )

        self.alerts_in = Counter(
            "firefighter_alerts_received",
            "Alerts received in webhooks, by source (each alert of a group counts).",
            ["source"],
            registry=self.registry,
        )
        self.alerts_deduplicated = Counter(
            "firefighter_alerts_deduplicated",
            "Alerts received that were already known (fired again, or resolved), by source.",
            ["source"],
            registry=self.registry,
        )
        self.alerts_refused = Counter(
            "firefighter_alert_webhooks_rejected",
            "Alert webhooks refused, by source and reason "
            "(unauthenticated, invalid, too_large, unavailable).",
            ["source", "reason"],
            registry=self.registry,
        )
        self.alert_seconds = Histogram(
            "firefighter_alert_webhook_seconds",
            "Time from receiving an alert webhook to answering it.",
            ["source"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=self.registry,
        )

    def alerts_received(self, source: str, intake: Intake, seconds: float) -> None:
        """Count a stored alert webhook."""
        self.alerts_in.labels(source).inc(intake.alerts)
        self.alerts_deduplicated.labels(source).inc(intake.deduplicated)
        self.alert_seconds.labels(source).observe(seconds)

    def alerts_rejected(self, source: str, reason: str) -> None:
        """Count a refused alert webhook."""
        self.alerts_refused.labels(source, reason).inc()

    def watch_outbox(self, factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        """Report the outbox's depth, oldest age and dead letters at each scrape."""
        self.registry.register(OutboxCollector(factory, clock))

    def delivered(self, message: Message, result: str) -> None:
        """Count one delivery attempt (a dispatcher's `on_result`)."""
        self.deliveries.labels(message.kind, result).inc()

    def observe(self, kind: str, status: int, started: float) -> None:
        """Record one answered Slack request."""
        outcome = "ok" if status < 400 else ("refused" if status < 500 else "error")
        self.requests.labels(kind, outcome).inc()
        self.ack_seconds.labels(kind).observe(time.perf_counter() - started)


def outbox_health(factory: sessionmaker[Session], clock: Callable[[], datetime]) -> dict[str, Any]:
    """Pending items, the oldest one's age in seconds, and dead letters."""
    with factory() as session:
        pending, oldest = session.execute(
            select(func.count(), func.min(OutboxItem.created_at)).where(
                OutboxItem.delivered_at.is_(None), OutboxItem.dead_at.is_(None)
            )
        ).one()
        dead = session.scalar(
            select(func.count()).where(
                OutboxItem.dead_at.is_not(None), OutboxItem.delivered_at.is_(None)
            )
        )
    age = 0.0
    if isinstance(oldest, datetime):
        created = oldest if oldest.tzinfo else oldest.replace(tzinfo=clock().tzinfo)
        age = max((clock() - created).total_seconds(), 0.0)
    return {
        "pending": int(pending or 0),
        "oldest_age_seconds": round(age, 3),
        "dead": int(dead or 0),
    }


class TimeBoxed:
    """Calls `read` on a thread of its own and waits at most `seconds` for it.

    One call at a time: while a read is stuck on a stalled database, later callers wait
    for that same read (up to their own limit) instead of stacking up threads behind it.
    """

    def __init__(self, read: Callable[[], Any], seconds: float) -> None:
        self.read = read
        self.seconds = seconds
        self._lock = threading.Lock()
        self._running: Future[Any] | None = None

    def __call__(self) -> Any:
        """`read()`'s value; TimeoutError when it takes longer than the limit."""
        with self._lock:
            if self._running is None or self._running.done():
                self._running = Future()
                running = self._running
                threading.Thread(
                    target=self._run, args=(running,), name="time-boxed", daemon=True
                ).start()
            else:
                running = self._running
        return running.result(timeout=self.seconds)

    def _run(self, future: Future[Any]) -> None:
        try:
            future.set_result(self.read())
        except BaseException as error:  # handed to whoever waits
            future.set_exception(error)


SCRAPE_SECONDS = 0.5
"""How long a scrape waits for the outbox's figures: `/metrics` answers within 1 s."""


class OutboxCollector(Collector):
    """Gauges read from the database when Prometheus scrapes."""

    def __init__(self, factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.factory = factory
        self.clock = clock
        self._read = TimeBoxed(lambda: outbox_health(factory, clock), SCRAPE_SECONDS)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the outbox gauges, and whether the database answered in time (the outbox
        gauges are left out when it did not)."""
        try:
            health = self._read()
        except Exception:  # a scrape must not fail or hang because the database did
            yield GaugeMetricFamily(
                "firefighter_database_up", "Whether the database answered the scrape.", value=0
            )
            return
        yield GaugeMetricFamily(
            "firefighter_database_up", "Whether the database answered the scrape.", value=1
        )
        yield GaugeMetricFamily(
            "firefighter_outbox_depth", "Effects waiting to be delivered.", value=health["pending"]
        )
        yield GaugeMetricFamily(
            "firefighter_outbox_oldest_age_seconds",
            "Age of the oldest effect waiting to be delivered.",
            value=health["oldest_age_seconds"],
        )
        yield GaugeMetricFamily(
            "firefighter_outbox_dead_letters",
            "Effects given up on (see `firefighter outbox list --dead`).",
            value=health["dead"],
        )
