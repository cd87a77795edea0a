"""The outbox: side effects recorded with the change that decided them, delivered afterwards."""

from firefighter.outbox.dispatcher import Backoff, Delivery, Dispatcher
from firefighter.outbox.queue import (
    Clock,
    Handler,
    Message,
    PermanentFailure,
    RetryLater,
    enqueue,
    pending_count,
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
    "RetryLater",
    "enqueue",
    "pending_count",
    "retry_dead",
]
