"""Outbound webhooks: what is sent, to whom, and how it is delivered.

An event is enqueued in the transaction of the change (so it is sent if and only if the
change commits), one outbox item per subscriber, each in a lane of its own (target
`webhook:<subscriber>`): a subscriber that is down is retried with the outbox's backoff and
holds back nothing but its own deliveries. The item's id is the event id a subscriber sees in
`X-FireFighter-Delivery`; an item is delivered once, so a subscriber gets each event id once
(a receiver that answered 2xx too late may see it again: it deduplicates by that id). Events
of private incidents are not sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy.orm import Session

from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.incidents.queries import incident_json
from firefighter.outbox import Message, enqueue
from firefighter.outbox.effect_types import BACKGROUND, Effect
from firefighter.settings import WebhookSubscriber

EVENTS = (
    "incident.declared",
    "incident.status_changed",
    "incident.severity_changed",
    "incident.closed",
    "followup.created",
    "followup.done",
)
TIMEOUT = 10.0
"""Seconds a subscriber has to answer; longer is a failed delivery, retried."""


@dataclass(frozen=True)
class DeliverWebhook(Effect, kind="webhook.deliver", target="webhooks", priority=BACKGROUND):
    """POST one event to one subscriber (its lane is `webhook:<subscriber>`, set at enqueue)."""

    subscriber: str
    id: str
    event: str
    at: str
    incident: dict[str, Any] = field(default_factory=dict)


def subscriber_id(subscriber: WebhookSubscriber) -> str:
    """A stable name for a subscriber: its URL's hash (the order of the setting may change)."""
    return hashlib.sha256(subscriber.url.encode()).hexdigest()[:12]


def events_of(event: TimelineEvent) -> list[str]:
    """The webhook events a timeline event is."""
    data = event.data or {}
    if event.kind == "declared":
        return ["incident.declared"]
    if event.kind in ("status_changed", "reopened"):
        return ["incident.status_changed"]
    if event.kind == "closed":
        return ["incident.status_changed", "incident.closed"]
    if event.kind == "severity_changed":
        return ["incident.severity_changed"]
    if event.kind == "followup":
        if data.get("status") == "done":
            return ["followup.done"]
        if data.get("status") == "open" and " added:" in (event.text or ""):
            return ["followup.created"]
    return []


def sign(secret: str, body: bytes) -> str:
    """`X-FireFighter-Signature`'s value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Webhooks:
    """The subscribers: enqueue their events (a unit of work's listener), deliver them."""

    subscribers: Sequence[WebhookSubscriber]
    session_http: requests.Session = field(default_factory=requests.Session)

    def listen(self, session: Session, incident: Incident, event: TimelineEvent) -> None:
        """Enqueue, in the change's transaction, what this timeline event is for each
        subscriber that wants it; nothing for a private incident."""
        if incident.private or not self.subscribers:
            return
        names = events_of(event)
        if not names:
            return
        session.flush()  # the incident's id and the latest values
        snapshot = incident_json(incident)
        at = (event.at or incident.updated_at).isoformat()
        for name in names:
            event_id = str(uuid.uuid4())  # the same for every subscriber
            for subscriber in self.subscribers:
                if subscriber.events and name not in subscriber.events:
                    continue
                who = subscriber_id(subscriber)
                item = enqueue(
                    session,
                    DeliverWebhook(who, event_id, name, at, snapshot),
                    incident_id=incident.id,
                    now=event.at,
                )
                # One lane per subscriber: a dead one delays only its own deliveries.
                item.target = f"webhook:{who}"

    def deliver(self, message: Message) -> None:
        """The outbox handler: POST, signed; anything but a 2xx raises (retried)."""
        effect = DeliverWebhook.parse(message.payload)
        subscriber = next(
            (s for s in self.subscribers if subscriber_id(s) == effect.subscriber), None
        )
        if subscriber is None:
            return  # removed from FIREFIGHTER_WEBHOOKS since: nobody to send it to
        body = json.dumps(
            {"id": effect.id, "event": effect.event, "at": effect.at, "incident": effect.incident}
        ).encode()
        answer = self.session_http.post(
            subscriber.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "FireFighter-Webhooks",
                "X-FireFighter-Event": effect.event,
                "X-FireFighter-Delivery": effect.id,
                "X-FireFighter-Signature": sign(subscriber.secret, body),
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        if not 200 <= answer.status_code < 300:
            raise RuntimeError(f"webhook {subscriber.url} answered {answer.status_code}")
