"""How fast does the bot acknowledge Slack, compared with a Bolt app that only acknowledges?

(a) 200 sequential signed `/incident status` requests; (b) 20 concurrent clients sending
`/incident status` and severity-menu clicks for 20 s. Both servers run as separate processes
served by uvicorn with 8 worker threads; the bot runs its outbox worker in-process against the
Slack emulator. Prints p50/p95/p99, throughput and peak RSS for each, measured in one run;
the last line is `ack_p99_ratio=<bot p99 / bare p99 under (b)>`.

    .venv/bin/python bench/ack_latency.py [--seconds 20] [--clients 20]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from firefighter.db import upgrade
from firefighter.emulators.slack import SlackDriver, SlackEmulator

SECRET = "bench-signing-secret"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("a server exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def signed_post(port: int, body: str) -> float:
    """POST one request as Slack does (new connection, signed); seconds until the answer."""
    timestamp = str(int(time.time()))
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"HTTP {answer.status}")
    finally:
        connection.close()
    return time.perf_counter() - started


@dataclass
class Result:
    name: str
    sequential: list[float] = field(default_factory=list)
    concurrent: list[float] = field(default_factory=list)
    concurrent_seconds: float = 0.0
    errors: int = 0
    rss_mb: float = 0.0

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    def line(self) -> str:
        seq, con = self.sequential, self.concurrent
        rate = len(con) / self.concurrent_seconds if self.concurrent_seconds else 0.0
        return (
            f"{self.name}\n    sequential p50 {self.pct(seq, 0.5):6.2f} ms"
            f" p95 {self.pct(seq, 0.95):6.2f} p99 {self.pct(seq, 0.99):6.2f}"
            f" | concurrent p50 {self.pct(con, 0.5):6.2f} ms"
            f" p95 {self.pct(con, 0.95):6.2f} p99 {self.pct(con, 0.99):7.2f}"
            f" | {rate:6.0f} req/s | errors {self.errors} | peak RSS {self.rss_mb:5.0f} MB"
        )


def command_body(channel_id: str, text: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "x",
            "team_id": "T0001",
            "channel_id": channel_id,
            "user_id": "U01ALICE",
            "user_name": "alice",
            "command": "/incident",
            "text": text,
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": "1.2.3",
        }
    )


def severity_body(payload: dict[str, object], severity: str) -> str:
    action = dict(payload["actions"][0])  # type: ignore[index]
    action["selected_option"] = {
        "text": {"type": "plain_text", "text": severity},
        "value": severity,
    }
    action["action_ts"] = f"{time.time():.6f}"
    return urllib.parse.urlencode({"payload": json.dumps({**payload, "actions": [action]})})


def load(port: int, bodies: list[str], seconds: float, clients: int) -> dict[str, object]:
    """The measurement itself: (a) sequential, then (b) concurrent clients."""
    status = bodies[0]
    for _ in range(20):  # warm-up: imports, connection pools, caches
        signed_post(port, status)
    sequential = [signed_post(port, status) for _ in range(200)]
    concurrent: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        nonlocal errors
        sent = 0
        while time.monotonic() < stop:
            body = bodies[(index + sent) % len(bodies)]
            try:
                took = signed_post(port, body)
            except Exception:
                with lock:
                    errors += 1
                continue
            with lock:
                concurrent.append(took)
            sent += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "sequential": sequential,
        "concurrent": concurrent,
        "seconds": time.monotonic() - started,
        "errors": errors,
    }


def measure(
    name: str, port: int, pid: int, bodies: list[str], seconds: float, clients: int
) -> Result:
    """Run the load from a process of its own, so that the Slack emulator (in this process,
    busy serving the bot's worker) does not steal the load generator's interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "load.json"
        spec.write_text(json.dumps({"port": port, "bodies": bodies}))
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--client",
                str(spec),
                "--seconds",
                str(seconds),
                "--clients",
                str(clients),
            ],
            check=True,
        )
        measured = json.loads(spec.read_text())
    result = Result(name)
    result.sequential = measured["sequential"]
    result.concurrent = measured["concurrent"]
    result.concurrent_seconds = measured["seconds"]
    result.errors = measured["errors"]
    result.rss_mb = peak_rss_mb(pid)
    return result


def run_bot(
    emulator: SlackEmulator,
    incidents: str,
    workdir: Path,
    pbr: bool,
    seconds: float,
    clients: int,
    worker_inside: bool = True,
) -> Result:
    database = workdir / f"bench-{pbr}-{worker_inside}.db"
    url = f"sqlite:///{database}"
    upgrade(url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": emulator.api_url,
        "FIREFIGHTER_INCIDENTS_CHANNEL": incidents,
        "FIREFIGHTER_POSTMORTEM_DIR": str(workdir / "postmortems"),
        "FIREFIGHTER_PROCESS_BEFORE_RESPONSE": "true" if pbr else "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "firefighter.cli", "serve", "--port", str(port)]
        + ([] if worker_inside else ["--no-worker"]),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
    )
    worker = None
    if not worker_inside:
        worker = subprocess.Popen(
            [sys.executable, "-m", "firefighter.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=workdir,
        )
    try:
        wait_ready(port, process)
        driver = SlackDriver(emulator, f"http://127.0.0.1:{port}/slack/events", SECRET)
        driver.slash_command("declare Bench incident", "U01ALICE", incidents)
        driver.submit_view("U01ALICE", {"severity": "SEV3"})
        channel = emulator.wait_for(
            lambda: next(
                (c for c in emulator.channels if c.name.startswith("inc-") and c.pins), None
            ),
            timeout=15,
        )
        card = emulator.find_message(channel.id, channel.pins[0])
        assert card is not None
        driver.select(channel.id, card.ts, "severity", "SEV2", "U01ALICE")
        assert driver.last_payload is not None
        payload = driver.last_payload
        status = command_body(channel.id, "status")
        bodies = [status, severity_body(payload, "SEV3"), status, severity_body(payload, "SEV2")]
        label = "bot, " + ("process_before_response" if pbr else "ack thread")
        label += "" if worker_inside else ", worker apart"
        return measure(label, port, process.pid, bodies, seconds, clients)
    finally:
        for child in (process, worker):
            if child is not None:
                child.terminate()
                child.wait(10)


def run_bare(emulator: SlackEmulator, seconds: float, clients: int) -> Result:
    port = free_port()
    env = {**os.environ, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.api_url}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "bare_bolt.py"), str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, process)
        channel = "C0BENCH"
        action_payload = {
            "type": "block_actions",
            "user": {"id": "U01ALICE", "username": "alice", "team_id": "T0001"},
            "team": {"id": "T0001"},
            "api_app_id": "A0001",
            "token": "x",
            "trigger_id": "1.2.3",
            "response_url": "http://127.0.0.1:9/unused",
            "container": {"type": "message", "channel_id": channel, "message_ts": "1.1"},
            "channel": {"id": channel},
            "actions": [{"type": "static_select", "action_id": "severity", "block_id": "b"}],
        }
        status = command_body(channel, "status")
        bodies = [
            status,
            severity_body(action_payload, "SEV3"),
            status,
            severity_body(action_payload, "SEV2"),
        ]
        return measure("bare Bolt (ack only)", port, process.pid, bodies, seconds, clients)
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--client", help=argparse.SUPPRESS)  # internal: run the load only
    args = parser.parse_args()
    if args.client:
        spec = Path(args.client)
        job = json.loads(spec.read_text())
        spec.write_text(json.dumps(load(job["port"], job["bodies"], args.seconds, args.clients)))
        return
    with tempfile.TemporaryDirectory() as tmp, SlackEmulator() as emulator:
        emulator.add_user("U01ALICE", "alice")
        incidents = emulator.add_channel("incidents", members=["U01ALICE"])
        workdir = Path(tmp)
        bare = run_bare(emulator, args.seconds, args.clients)
        results = [
            run_bot(emulator, incidents, workdir, True, args.seconds, args.clients),
            run_bot(emulator, incidents, workdir, False, args.seconds, args.clients),
            run_bot(emulator, incidents, workdir, True, args.seconds, args.clients, False),
            bare,
        ]
    for result in results:
        print(result.line())
    best = min(results[:3], key=lambda r: Result.pct(r.concurrent, 0.99))
    print(
        f"kept: {best.name}; sequential p50 {Result.pct(best.sequential, 0.5):.2f} ms; "
        f"peak RSS {best.rss_mb:.0f} MB"
    )
    ratio = Result.pct(results[0].concurrent, 0.99) / Result.pct(bare.concurrent, 0.99)
    print(f"ack_p99_ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
