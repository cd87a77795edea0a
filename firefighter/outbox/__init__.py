"""The outbox: side effects recorded with the change that decided them, delivered afterwards."""

from firefighter.outbox.dispatcher import Backoff, Delivery, Dispatcher
from firefighter.outbox.queue import (
    Clock,
    Handler,
    Message,
    PermanentFailure,
    Recorder,
    RetryLater,
    enqueue,
    outcomes_before,
    outcomes_of,
    pending_count,
    progress,
    retry_dead,
)

__all__ = [
    "Backoff",
    "Clock",
    "Delivery",
    "Dispatcher",
    "Handler",
    "Message",
    "PermanentFailure",
    "Recorder",
    "RetryLater",
    "enqueue",
    "outcomes_before",
    "outcomes_of",
    "pending_count",
    "progress",
    "retry_dead",
]
