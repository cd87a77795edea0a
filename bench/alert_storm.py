"""An outage's alert storm: 1,000 Alertmanager webhooks in 60 s over 20 groups.

One `serve` (the real FastAPI app on uvicorn, 8 threads) with its outbox worker (2 delivery
threads) on a fresh database, talking to the Slack emulator. Webhook n goes to group n % 20
and carries every alert of that group so far, as Alertmanager re-sends a whole group: 50
distinct alerts per group, 1,000 in all. The emulator applies Slack's per-method rate-limit
tiers (`chat.postMessage` about 1/s per channel, `chat.update` Tier 3); `--rate-429` adds
random 429s (Retry-After 1 s) on chat.* calls on top (none by default).

When the outbox is empty the bench reads the alerts channel: one card per group, each drawn
with its 50 alerts. Printed: webhook answer p50/p99, cards posted, duplicates, Slack calls.
The last line is `alert_p99_ms=<p99> cards=<n> duplicates=<n>`.

    .venv/bin/python bench/alert_storm.py [--webhooks 1000] [--seconds 60] [--groups 20]
        [--database-url postgresql+psycopg://…]  (default: a SQLite file in a temp folder)
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from firefighter.bootstrap import build_app, build_core, build_dispatcher, http_app
from firefighter.db import upgrade
from firefighter.emulators.slack import SlackEmulator, blocks_text
from firefighter.observability import Metrics
from firefighter.outbox import pending_count
from firefighter.serving import start_threads
from firefighter.settings import Settings
from firefighter.slack.client import make_client
from firefighter.slack.posting import delivery_client
from firefighter.web import BackgroundServer

TOKEN = "storm-token"


def webhook(group: int, alerts: int) -> bytes:
    """Alertmanager's v4 payload for `group` with its first `alerts` alerts."""
    labels = {"alertname": f"Storm{group}", "severity": "critical", "cluster": "eu-1"}
    body = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="Storm{group}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "firefighter",
        "groupLabels": {"alertname": f"Storm{group}"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": f"Storm group {group} is failing"},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {**labels, "instance": f"node-{n}"},
                "annotations": {"summary": f"Storm group {group} is failing on node-{n}"},
                "startsAt": "2026-03-02T08:50:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": f"http://prometheus.example.com:9090/graph?g={group}",
                "fingerprint": f"g{group:02d}n{n:03d}",
            }
            for n in range(alerts)
        ],
    }
    return json.dumps(body).encode()


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of `values`, in ms."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--groups", type=int, default=20)
    # Random 429s on top of the tiers, as a busy workspace shares them with other apps.
    parser.add_argument("--rate-429", type=float, default=0.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    # Each 429 is logged as a retried delivery; the summary counts them instead.
    logging.getLogger("firefighter.outbox").setLevel(logging.ERROR)

    folder = Path(tempfile.mkdtemp(prefix="alert-storm-"))
    url = args.database_url or f"sqlite:///{folder / 'storm.db'}"
    upgrade(url)
    # Slack's per-method rate-limit tiers, as the issue asks of this benchmark.
    emulator = SlackEmulator(rate_limits=True).start()
    alerts_channel = emulator.add_channel("alerts")
    incidents_channel = emulator.add_channel("incidents")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        slack_bot_token=emulator.bot_token,
        slack_api_url=emulator.api_url,
        slack_signing_secret="storm-secret",
        incidents_channel=incidents_channel,
        alerts_channel=alerts_channel,
        alerts_token=TOKEN,
        postmortem_dir=folder / "postmortems",
    )
    emulator.faults(
        rate_429=args.rate_429, retry_after=1, seed=7, methods=["chat.postMessage", "chat.update"]
    )
    core = build_core(settings)
    metrics = Metrics()
    bolt = build_app(core, make_client(settings))
    server = BackgroundServer(http_app(core, bolt, metrics), threads=8).start()
    stop = threading.Event()
    dispatcher = build_dispatcher(core, delivery_client(settings))
    start_threads(dispatcher, stop, 2)

    per_group = max(1, args.webhooks // args.groups)
    bodies = [webhook(n % args.groups, n // args.groups + 1) for n in range(args.webhooks)]
    interval = args.seconds / args.webhooks
    latencies: list[float] = []
    failures: Counter[int] = Counter()
    local = threading.local()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    start = time.perf_counter()

    def send(index: int) -> None:
        due = start + index * interval
        time.sleep(max(0.0, due - time.perf_counter()))
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        began = time.perf_counter()
        answer = session.post(
            f"{server.url}/alerts/alertmanager", data=bodies[index], headers=headers, timeout=30
        )
        latencies.append(time.perf_counter() - began)
        if answer.status_code != 202:
            failures[answer.status_code] += 1

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(send, range(args.webhooks)))
    sent_in = time.perf_counter() - start

    deadline = time.time() + 120
    while time.time() < deadline:
        with core.factory() as session:
            if pending_count(session) == 0:
                break
        time.sleep(0.5)
    stop.set()
    server.stop()

    cards = [m for m in emulator.messages(alerts_channel) if m.user == emulator.bot_user_id]
    per_title = Counter(blocks_text(m.blocks).splitlines()[0] for m in cards)
    duplicates = sum(n - 1 for n in per_title.values() if n > 1)
    complete = sum(1 for m in cards if f"{per_group} alerts firing" in blocks_text(m.blocks))
    calls = Counter(c.method for c in emulator.calls)
    limited = sum(1 for c in emulator.calls if c.status == 429)
    with core.factory() as session:
        left = pending_count(session)
    print(
        f"webhooks: {args.webhooks} in {sent_in:.1f} s over {args.groups} groups, "
        f"failures {dict(failures) or 0}"
    )
    print(
        f"webhook answer: p50 {percentile(latencies, 0.5):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )
    print(
        f"cards posted: {len(cards)} ({complete} drawn with all {per_group} alerts), "
        f"duplicates {duplicates}, outbox left {left}"
    )
    by_method = ", ".join(f"{k} {v}" for k, v in calls.most_common())
    print(f"Slack calls: {sum(calls.values())} ({by_method}); {limited} answered 429")
    print(
        f"alert_p99_ms={percentile(latencies, 0.99):.1f} cards={len(cards)} duplicates={duplicates}"
    )
    emulator.stop()
    core.close()


if __name__ == "__main__":
    main()
