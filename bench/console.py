"""How fast are the web console's pages on a large history, and how far above their floor?

Generates 100,000 incidents and 1,000,000 timeline events (bench/stats_scale.py's generator,
COPY) on a fresh PostgreSQL database `ff_console_<random>` on TEST_DATABASE_URL's server
(dropped at the end); serves the console (uvicorn on loopback) signed in through the Slack
emulator; then times 200 requests of each: the first page of the list with two filters and a
search term, an incident page, the figures for 90 days, and `GET /api/v1/incidents` (when the
API is mounted; skipped otherwise). Beside each: the floor, the same database queries run
alone in this process, and the ratio. The figures' floor is their whole computation (`measure`),
which the page pays only for a period's first view: it serves the figures it keeps a minute
(stats/cache.py), so its ratio is far below 1. The full CSV export is timed once over HTTP, and its
peak Python allocations (tracemalloc) are compared between 10,000 and 100,000 rows.
The last line is `console_p95_ms=<worst> floor_ratio=<worst> csv_s=<n>`.

    .venv/bin/python bench/console.py [--incidents 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats_scale import NOW, PG_ADMIN_URL, fill_postgresql

from firefighter.bootstrap import build_core
from firefighter.db import upgrade
from firefighter.emulators.slack import SlackEmulator
from firefighter.incidents.listing import (
    Filters,
    csv_stream,
    find_visible,
    list_page,
)
from firefighter.observability import Metrics
from firefighter.sandbox.demo_console import sign_in
from firefighter.settings import Settings
from firefighter.stats import measure
from firefighter.web.api.routes import ApiServices, api_router
from firefighter.web.app import build_app
from firefighter.web.console import mount_console
from firefighter.web.server import BackgroundServer, free_port
from firefighter.web.signin.api_session import session_caller

VIEWER = "U0BENCH"
LIST_QUERY = {"severity": "SEV2", "component": "payments", "q": "error rate"}


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(run: Callable[[], object], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return samples


def bench(url: str, count: int, requests: int, figures_requests: int) -> None:
    emulator = SlackEmulator(scopes=None).start()
    emulator.add_user(VIEWER, "bench", real_name="Bench Viewer")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emulator.register_oidc_client("bench", "bench-secret", [f"{base}/auth/callback"])
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        base_url=base,
        oidc_issuer=emulator.base_url,
        oidc_client_id="bench",
        oidc_client_secret="bench-secret",
        session_secret="b" * 40,
    )
    core = build_core(settings, clock=lambda: NOW)
    # Built as `serve` builds it: the REST API, then the console on the same app.
    api = api_router(
        ApiServices(core.factory, core.service, settings, core.followups, session_caller(settings))
    )
    app = build_app([api], check_health=lambda: (200, {}), metrics=Metrics())
    mount_console(
        app, settings=settings, factory=core.factory, names=lambda _ids: {}, clock=lambda: NOW
    )
    server = BackgroundServer(app, port=port).start()
    rng = random.Random(7)
    ids = [rng.randint(1, count) for _ in range(requests)]
    zone = settings.zone
    filters = Filters.parse(LIST_QUERY)
    client = sign_in(base, VIEWER, timeout=120)
    rows: list[tuple[str, float, float, float, float]] = []
    try:
        has_api = client.get("/api/v1/incidents").status_code == 200

        def floor_list() -> None:
            list_page(core.factory, filters, VIEWER, zone, 1)

        picks = itertools.cycle(ids)

        def floor_incident() -> None:
            incident_id = next(picks)
            find_visible(core.factory, incident_id, VIEWER)

        def floor_figures() -> None:
            measure(core.factory, settings, now=NOW, days=90)

        pages = itertools.cycle(ids)
        cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            ("list", lambda: client.get("/", params=LIST_QUERY), floor_list),
            ("incident", lambda: client.get(f"/incidents/{next(pages)}"), floor_incident),
            ("figures_90d", lambda: client.get("/figures", params={"days": 90}), floor_figures),
        ]
        if has_api:
            # Its floor: the console's first page without filters (the same 50 newest rows).
            def floor_api() -> None:
                list_page(core.factory, Filters(), VIEWER, zone, 1)

            cases.append(("api_incidents", lambda: client.get("/api/v1/incidents"), floor_api))
        for name, page, floor in cases:
            page()  # warm up
            times = figures_requests if name.startswith("figures") else requests
            http = timed(page, times)
            alone = timed(floor, times)
            p50, p95 = percentiles(http)
            f50, f95 = percentiles(alone)
            rows.append((name, p50, p95, f95, p95 / f95 if f95 else 0.0))
            print(
                f"{name:14} p50={p50:7.1f} ms p95={p95:7.1f} ms   floor p50={f50:7.1f} ms "
                f"p95={f95:7.1f} ms   ratio={p95 / f95 if f95 else 0:.2f}",
                flush=True,
            )
        if not has_api:
            print("api_incidents  skipped: /api/v1 is not mounted on this branch", flush=True)
        started = time.perf_counter()
        size = 0
        with client.stream("GET", "/incidents.csv") as answer:
            for chunk in answer.iter_bytes():
                size += len(chunk)
        csv_s = time.perf_counter() - started
        print(f"csv            {csv_s:.2f} s for {size / 1e6:.1f} MB (every incident)", flush=True)
        peaks = {}
        for label, window in (
            ("10k", Filters(start=(NOW - timedelta(days=73)).date())),
            ("all", Filters()),
        ):
            tracemalloc.start()
            lines = sum(1 for _ in csv_stream(core.factory, window, VIEWER, zone))
            peaks[label] = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            print(f"csv memory     {label}: {lines} chunks, peak {peaks[label]:.1f} MB", flush=True)
    finally:
        client.close()
        server.stop()
        core.close()
        emulator.stop()
    worst_p95 = max(r[2] for r in rows)
    worst_ratio = max(r[4] for r in rows)
    print(f"console_p95_ms={worst_p95:.1f} floor_ratio={worst_ratio:.2f} csv_s={csv_s:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--figures-requests", type=int, help="requests of the figures page (default: --requests)"
    )
    args = parser.parse_args()
    name = f"ff_console_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            started = time.perf_counter()
            fill_postgresql(url, args.incidents, 10, seed=1)
            print(
                f"generated {args.incidents} incidents, {args.incidents * 10} events "
                f"in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            bench(url, args.incidents, args.requests, args.figures_requests or args.requests)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


if __name__ == "__main__":
    main()
