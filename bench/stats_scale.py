"""Do the digest's metric queries stay fast and small as the history grows?

Generates a history of N incidents (default 100,000) with 10 timeline events each, by bulk
insert (executemany on SQLite, COPY on PostgreSQL; not through the service), on a temporary
SQLite file and on a fresh PostgreSQL database `ff_bench_<random>` on TEST_DATABASE_URL's
server (dropped at the end). A second, smaller history (default 10,000) is generated too.
For each, a fresh process runs the digest's queries (metrics and the 12-week chart series)
and a plain `SELECT count(*)` over the events table, and reports their medians, the queries'
peak Python allocations (tracemalloc) and the process's peak RSS. The last line is
`digest_over_count_ratio=<digest time / count time on PostgreSQL at N>`.

    .venv/bin/python bench/stats_scale.py [--incidents 100000] [--small 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from firefighter.db import make_engine, make_session_factory, upgrade
from firefighter.settings import DEFAULT_COMPONENTS, DEFAULT_FAILURE_CLASSES, Settings

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HISTORY = timedelta(days=730)
SEVERITIES = (("SEV1", 0.02), ("SEV2", 0.08), ("SEV3", 0.30), ("SEV4", 0.40), ("SEV5", 0.20))
EVENT_KINDS = ("status_changed", "update", "role_assigned", "severity_changed", "milestone_set")

INCIDENT_COLUMNS = (
    "id",
    "title",
    "description",
    "status",
    "severity",
    "component",
    "private",
    "drill",
    "channel_id",
    "declarer",
    "started_at",
    "detected_at",
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "closed_at",
    "last_update_at",
    "closure_reason",
    "postmortem_url",
    "failure_class",
    "version",
    "created_at",
    "updated_at",
)
EVENT_COLUMNS = ("id", "incident_id", "at", "kind", "actor", "text", "data")
FOLLOWUP_COLUMNS = (
    "id",
    "incident_id",
    "title",
    "owner",
    "due",
    "status",
    "created_by",
    "created_at",
    "closed_by",
    "closed_at",
)
FOLLOWUPS_PER_INCIDENT = 3
"""300,000 follow-ups for the default 100,000 incidents."""


# ---- generation ------------------------------------------------------------------------


def incidents(count: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """Incident rows declared evenly over two years, in id order as a real table fills up;
    the recent ones still open."""
    rng = random.Random(seed)
    names = [s for s, _ in SEVERITIES]
    weights = [w for _, w in SEVERITIES]
    components = [*DEFAULT_COMPONENTS, None]
    for i in range(1, count + 1):
        declared = NOW - HISTORY + HISTORY * ((i - rng.random()) / count)
        severity = rng.choices(names, weights)[0]
        started = declared - timedelta(minutes=rng.uniform(0, 90))
        detected = started + (declared - started) * rng.random()
        acknowledged = declared + timedelta(minutes=rng.uniform(1, 30))
        mitigated: datetime | None = started + timedelta(hours=rng.lognormvariate(0.5, 1.0))
        closed: datetime | None = None
        assert mitigated is not None
        age = NOW - declared
        if age < timedelta(days=2) and rng.random() < 0.5:
            status, mitigated = rng.choice(("open", "investigating", "mitigating")), None
        elif mitigated > NOW:
            status, mitigated = "mitigating", None
        elif age < timedelta(days=14) and rng.random() < 0.5:
            status = "postmortem" if severity in ("SEV1", "SEV2") else "mitigated"
        else:
            status = "closed"
            closed = mitigated + timedelta(days=rng.uniform(0.1, 10))
            if closed > NOW:
                status, closed = "mitigated", None
        required = severity in ("SEV1", "SEV2")
        published = required and status in ("postmortem", "closed") and rng.random() < 0.9
        yield (
            i,
            f"Incident {i}: something broke",
            "",
            status,
            severity,
            rng.choice(components),
            rng.random() < 0.05,
            rng.random() < 0.02,
            f"C{i:09d}",
            "U0BENCH",
            started,
            detected,
            declared,
            acknowledged,
            mitigated,
            closed,
            acknowledged,
            "resolved" if closed else None,
            f"https://wiki.example/pm/{i}" if published else None,
            rng.choice(DEFAULT_FAILURE_CLASSES) if closed and rng.random() < 0.7 else None,
            1,
            declared,
            closed or mitigated or declared,
        )


def events(count: int, per_incident: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """Timeline rows: `per_incident` events for each incident, after its declaration."""
    rng = random.Random(seed + 1)
    ident = 0
    for incident_id in range(1, count + 1):
        base = NOW - HISTORY + HISTORY * (incident_id / count)
        for _ in range(per_incident):
            ident += 1
            yield (
                ident,
                incident_id,
                base + timedelta(minutes=rng.uniform(0, 600)),
                rng.choice(EVENT_KINDS),
                "U0BENCH",
                "Checked the dashboards; error rate back to normal on two of three nodes.",
                "{}",
            )


def followups(count: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """Follow-up rows: three per incident, most done within weeks, some overdue."""
    rng = random.Random(seed + 2)
    ident = 0
    for incident_id in range(1, count + 1):
        base = NOW - HISTORY + HISTORY * (incident_id / count)
        for _ in range(FOLLOWUPS_PER_INCIDENT):
            ident += 1
            created = base + timedelta(hours=rng.uniform(1, 48))
            due = (created + timedelta(days=rng.uniform(3, 30))).date()
            done = rng.random() < 0.8
            closed = created + timedelta(days=rng.uniform(0.5, 40)) if done else None
            if closed is not None and closed > NOW:
                done, closed = False, None
            yield (
                ident,
                incident_id,
                "Add a retry with backoff to the payment client",
                "U0BENCH",
                due,
                "done" if done else "open",
                "U0BENCH",
                created,
                "U0BENCH" if done else None,
                closed,
            )


def _sqlite_value(value: Any) -> Any:
    # The same text SQLAlchemy writes for UTCDateTime on SQLite (naive UTC).
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _chunks(rows: Iterator[tuple[Any, ...]], size: int = 20_000) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fill_sqlite(path: Path, count: int, per_incident: int, seed: int) -> None:
    """executemany in chunks, one transaction per table."""
    connection = sqlite3.connect(path)
    try:
        for table, columns, rows in (
            ("incidents", INCIDENT_COLUMNS, incidents(count, seed)),
            ("timeline_events", EVENT_COLUMNS, events(count, per_incident, seed)),
            ("followups", FOLLOWUP_COLUMNS, followups(count, seed)),
        ):
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            with connection:
                for chunk in _chunks(rows):
                    connection.executemany(
                        sql, [tuple(_sqlite_value(v) for v in row) for row in chunk]
                    )
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()


def fill_postgresql(url: str, count: int, per_incident: int, seed: int) -> None:
    """COPY both tables, move the id sequences past the ids written, ANALYZE."""
    engine = create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            cursor: Any = raw.cursor()
            for table, columns, rows in (
                ("incidents", INCIDENT_COLUMNS, incidents(count, seed)),
                ("timeline_events", EVENT_COLUMNS, events(count, per_incident, seed)),
                ("followups", FOLLOWUP_COLUMNS, followups(count, seed)),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


# ---- measuring (in a fresh process) -------------------------------------------------------


def measure(url: str, repeat: int) -> dict[str, Any]:
    """Time the digest queries and count(*); peak allocations of one digest run."""
    from firefighter.stats.followup_figures import followup_figures
    from firefighter.stats.metrics import compute
    from firefighter.stats.weekly import weekly

    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)

    def digest() -> None:
        # The digest handler's reads: the metrics, then the chart's 12-week series.
        with factory() as session:
            compute(
                session,
                end=NOW,
                days=7,
                severities=settings.severities,
                zone=settings.zone,
                now=NOW,
                postmortem_due_days=settings.postmortem_due_days,
            )
        with factory() as session:
            weekly(session, end=NOW, severities=settings.severities, weeks=12)
        followup_digest()

    def followup_digest() -> None:
        # The digest's follow-up figures (opened, done, overdue by component, time to close).
        with factory() as session:
            followup_figures(session, start=NOW - timedelta(days=7), end=NOW, today=NOW.date())

    def count() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM timeline_events")).scalar_one()

    def timed(run: Any) -> float:
        run()  # warm the caches and the connection pool
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    digest_s = timed(digest)
    followups_s = timed(followup_digest)
    count_s = timed(count)
    tracemalloc.start()
    tracemalloc.reset_peak()
    digest()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine.dispose()
    return {
        "digest_s": digest_s,
        "followups_s": followups_s,
        "count_s": count_s,
        "traced_peak_kib": peak / 1024,
        "max_rss_mib": peak_rss_mib(),
    }


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM).

    Not getrusage: on Linux its ru_maxrss survives exec, so a child started by a big parent
    would report the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_in_subprocess(url: str, repeat: int) -> dict[str, Any]:
    """Run `measure` in a fresh interpreter, so its peak RSS is the digest's alone."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ---- orchestration ----------------------------------------------------------------------


@dataclass
class Result:
    """One backend at one size."""

    backend: str
    incidents: int
    events: int
    generated_s: float
    figures: dict[str, Any]

    def lines(self) -> list[str]:
        f = self.figures
        ratio = f["digest_s"] / f["count_s"] if f["count_s"] else float("nan")
        head = f"[{self.backend} {self.incidents:,} incidents / {self.events:,} events]"
        return [
            f"{head} generated in {self.generated_s:.1f} s",
            f"{head} digest queries {f['digest_s'] * 1000:.1f} ms (of which the follow-ups' "
            f"{f['followups_s'] * 1000:.1f} ms, over {self.incidents * FOLLOWUPS_PER_INCIDENT:,} "
            "follow-ups) · "
            f"SELECT count(*) FROM timeline_events {f['count_s'] * 1000:.1f} ms · "
            f"ratio {ratio:.2f}",
            f"{head} digest peak Python allocations {f['traced_peak_kib']:.0f} KiB "
            f"(tracemalloc) · process peak RSS {f['max_rss_mib']:.1f} MiB",
        ]


def run_sqlite(count: int, per_incident: int, seed: int, repeat: int) -> Result:
    """Generate and measure on a temporary SQLite file."""
    with tempfile.TemporaryDirectory(prefix="ff_bench_") as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        started = time.perf_counter()
        fill_sqlite(path, count, per_incident, seed)
        generated = time.perf_counter() - started
        figures = measure_in_subprocess(url, repeat)
    return Result("sqlite", count, count * per_incident, generated, figures)


def run_postgresql(count: int, per_incident: int, seed: int, repeat: int) -> Result:
    """Generate and measure on a fresh PostgreSQL database, dropped afterwards."""
    name = f"ff_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            started = time.perf_counter()
            fill_postgresql(url, count, per_incident, seed)
            generated = time.perf_counter() - started
            figures = measure_in_subprocess(url, repeat)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
    return Result("postgresql", count, count * per_incident, generated, figures)


def main() -> None:
    """Parse the arguments, run every backend at both sizes, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000, help="0 to skip the small run")
    parser.add_argument("--events-per-incident", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat)))
        return

    runners = {"sqlite": run_sqlite, "postgresql": run_postgresql}
    sizes = [n for n in (args.small, args.incidents) if n]
    results: dict[tuple[str, int], Result] = {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        for size in sizes:
            result = runners[backend](size, args.events_per_incident, args.seed, args.repeat)
            results[(backend, size)] = result
            for line in result.lines():
                print(line, flush=True)
    if args.small and args.small != args.incidents:
        for backend in {b for b, _ in results}:
            small, large = (
                results.get((backend, args.small)),
                results.get((backend, args.incidents)),
            )
            if small and large:
                rss = large.figures["max_rss_mib"] / small.figures["max_rss_mib"]
                traced = large.figures["traced_peak_kib"] / small.figures["traced_peak_kib"]
                print(
                    f"[{backend}] peak memory at {args.incidents:,} vs {args.small:,} incidents: "
                    f"RSS ×{rss:.3f}, Python allocations ×{traced:.3f}",
                    flush=True,
                )
    target = results.get(("postgresql", args.incidents))
    if target is not None:
        figures = target.figures
        print(f"digest_over_count_ratio={figures['digest_s'] / figures['count_s']:.3f}")


if __name__ == "__main__":
    main()
