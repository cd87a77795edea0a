"""What an operator scrapes and reads: /metrics, /healthz with the outbox, JSON logs."""

from __future__ import annotations

import json
import logging
import urllib.request

from firefighter.bootstrap import build_app, build_dispatcher, http_app
from firefighter.logs import JsonFormatter, incident_id_var, request_id_var
from firefighter.observability import Metrics
from firefighter.slack.client import make_client
from firefighter.web import BackgroundServer
from tests.conftest import SLACK_DEADLINE_S
from tests.slack.conftest import Bot, ImmediateExecutor


def scrape(url: str) -> str:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as answer:
        assert answer.status == 200
        return answer.read().decode()


def test_metrics_count_requests_latency_outbox_and_deliveries(bot: Bot) -> None:
    metrics = Metrics()
    metrics.watch_outbox(bot.core.factory, bot.core.service.clock)
    client = make_client(bot.core.settings)
    bot.dispatcher = build_dispatcher(bot.core, client, on_result=metrics.delivered)
    app = build_app(bot.core, make_client(bot.core.settings), executor=ImmediateExecutor())
    server = BackgroundServer(
        http_app(bot.core, app, metrics, slack_deadline_s=SLACK_DEADLINE_S)
    ).start()
    try:
        bot.driver.bot_url = f"{server.url}/slack/events"
        incident = bot.declare(title="Metrics", severity="SEV3")
        bot.in_channel(incident, "update looking")  # one effect left undelivered
        bot.driver.slash_command("help", "U_ALICE", bot.incidents_channel, signature="v0=bad")
        text = scrape(server.url)
    finally:
        server.stop()
    assert 'firefighter_slack_requests_total{kind="command",outcome="ok"} 2.0' in text
    assert 'firefighter_slack_requests_total{kind="command",outcome="refused"} 1.0' in text
    assert 'firefighter_slack_requests_total{kind="view_submission",outcome="ok"} 1.0' in text
    assert 'firefighter_slack_ack_seconds_bucket{kind="command",le="3.0"} 3.0' in text
    assert "firefighter_outbox_depth 1.0" in text
    assert "firefighter_outbox_dead_letters 0.0" in text
    assert (
        'firefighter_outbox_deliveries_total{kind="incident.open_channel",result="delivered"} 1.0'
        in text
    )


def test_healthz_reports_the_outbox(bot: Bot) -> None:
    incident = bot.declare(title="Health", severity="SEV3")
    bot.in_channel(incident, "update one")
    with urllib.request.urlopen(f"{bot.url}/healthz", timeout=5) as answer:
        body = json.loads(answer.read())
    assert body["database"] == "ok"
    assert body["outbox"]["pending"] == 1 and body["outbox"]["dead"] == 0


def test_log_lines_are_json_with_incident_and_request() -> None:
    incident_id_var.set(12)
    request_id_var.set("123.456.abc")
    record = logging.LogRecord(
        "firefighter.x", logging.WARNING, __file__, 1, "slow %s", ("ack",), None
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "slow ack"
    assert line["incident_id"] == 12 and line["slack_request_id"] == "123.456.abc"
    assert line["level"] == "warning"
    incident_id_var.set(None)
    request_id_var.set(None)
