"""Outbound webhooks to loopback receivers: signed, once per event, a dead one retried
without delaying Slack, private incidents not sent."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from firefighter.outbox.models import OutboxItem
from firefighter.settings import Settings, WebhookSubscriber
from tests.slack.conftest import Bot


class Receiver:
    """A webhook receiver on loopback that answers `status` and keeps what it got."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.got: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.got.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _headers, body in self.got]


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    good, dead = Receiver(204), Receiver(500)
    yield good, dead
    good.server.shutdown()
    dead.server.shutdown()


@pytest.fixture
def settings(settings: Settings, receivers: tuple[Receiver, Receiver]) -> Settings:
    good, dead = receivers
    settings.webhooks = [
        WebhookSubscriber(url=good.url, secret="good-secret"),
        WebhookSubscriber(url=dead.url, secret="dead-secret", events=["incident.declared"]),
    ]
    return settings


def test_events_are_signed_sent_once_and_a_dead_subscriber_delays_nothing(
    bot: Bot, receivers: tuple[Receiver, Receiver]
) -> None:
    good, dead = receivers
    service = bot.core.service
    incident = service.declare(title="Checkout is down", severity="SEV3", actor="U_ALICE")
    bot.settle()
    # Slack's effects went through although one subscriber keeps failing.
    assert bot.incident(incident.id).channel_id
    service.set_severity(incident.id, "SEV4", actor="U_ALICE")
    service.transition(incident.id, "mitigated", actor="U_ALICE")
    followup = bot.core.followups.add(incident.id, "Add retries", actor="U_ALICE")
    bot.core.followups.close(followup.id, actor="U_ALICE")
    service.close(incident.id, actor="U_ALICE", reason="resolved")
    bot.settle()

    names = [e["event"] for e in good.events()]
    assert names == [
        "incident.declared",
        "incident.severity_changed",
        "incident.status_changed",
        "followup.created",
        "followup.done",
        "incident.status_changed",
        "incident.closed",
    ]
    assert len({e["id"] for e in good.events()}) == len(names), "an event was sent twice"
    for headers, body in good.got:
        expected = "sha256=" + hmac.new(b"good-secret", body, hashlib.sha256).hexdigest()
        assert headers["X-FireFighter-Signature"] == expected
        event = json.loads(body)
        assert headers["X-FireFighter-Event"] == event["event"]
        assert headers["X-FireFighter-Delivery"] == event["id"]
        assert event["incident"]["id"] == incident.id
    assert good.events()[-1]["incident"]["status"] == "closed"
    # The dead subscriber asked only for declarations: tried again and again (the same
    # event id each time), while everything else was delivered.
    tries = dead.events()
    assert len(tries) >= 2 and {(e["event"], e["id"]) for e in tries} == {
        ("incident.declared", tries[0]["id"])
    }
    with bot.core.factory() as session:
        waiting = session.scalars(select(OutboxItem).where(OutboxItem.delivered_at.is_(None))).all()
    assert [i.kind for i in waiting] == ["webhook.deliver"]
    assert waiting[0].attempts >= 2 and waiting[0].target.startswith("webhook:")


def test_private_incidents_are_not_sent(bot: Bot, receivers: tuple[Receiver, Receiver]) -> None:
    good, dead = receivers
    bot.core.service.declare(title="Secret breach", severity="SEV1", actor="U_ALICE", private=True)
    bot.settle()
    assert good.got == [] and dead.got == []
