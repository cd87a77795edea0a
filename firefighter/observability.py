"""What operators watch: Prometheus metrics and the outbox's health."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.outbox import Dispatcher, Message
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

    def watch_outbox(self, factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        """Report the outbox's depth, oldest age and dead letters at each scrape."""
        self.registry.register(OutboxCollector(factory, clock))

    def count_deliveries(self, dispatcher: Dispatcher) -> None:
        """Count each delivery attempt of `dispatcher`."""
        previous = dispatcher.on_result

        def record(message: Message, result: str) -> None:
            self.deliveries.labels(message.kind, result).inc()
            if previous is not None:
                previous(message, result)

        dispatcher.on_result = record

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


class OutboxCollector(Collector):
    """Gauges read from the database when Prometheus scrapes."""

    def __init__(self, factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.factory = factory
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the outbox gauges (nothing when the database does not answer)."""
        try:
            health = outbox_health(self.factory, self.clock)
        except Exception:  # a scrape must not fail because the database blinked
            return
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
