"""Tracing's exposures endpoint through the whole WSGI application, in-process: wall time,
the app's CPU and PostgreSQL's CPU per request, for the cases `bench/run.py` traces.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/kiemdich_bench \\
        .venv/bin/python bench/profile_tracing.py [--runs 5] [--cases 10] [--profile]

The same cases as `bench/run.py`'s tracing part (the 10 people with the most visits in the
14 days before today, and 10 picked at random among those with one), each asked
`GET /api/v1/cases/{id}/exposures?limit=100` (the case's screen, the first page) and without
`limit` (every contact, as the exports use it), by a health officer of the cases. One
connection to PostgreSQL, kept (no pool), so its server process's CPU is the database's share
of each request; the app's is this process's CPU time. Under load compare the CPU figures of
runs made in the same minutes; wall times follow the machine's load.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profile_scan import _cpu_seconds, environ  # noqa: E402

PAGE = 100
MODES = {"page": f"?limit={PAGE}", "full": ""}


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5, help="requests per case and mode")
    parser.add_argument("--kinds", default="typical,busiest")
    parser.add_argument("--modes", default="page,full")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    from bench.run import _env

    url = os.environ.get("BENCH_DATABASE_URL",
                         "postgres://postgres@127.0.0.1:5432/kiemdich_bench")
    os.environ.update(_env(url))
    os.environ.pop("DB_POOL")  # one kept connection: its server process is measured
    os.environ["DB_CONN_MAX_AGE"] = "3600"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kiemdich.settings"
    import django

    django.setup()
    from django.db import connection

    from bench.load import _request
    from bench.run import bench_people
    from kiemdich.accounts.auth import issue_token
    from kiemdich.accounts.models import Role
    from kiemdich.accounts.services import grant_role
    from kiemdich.areas.models import Area
    from kiemdich.tracing.models import Case
    from kiemdich.wsgi import application

    grant = grant_role("0869999997", Role.HEALTH_OFFICER,
                       Area.objects.filter(depth=0).order_by("code").first())
    token, _record = issue_token(grant.user)
    people, start, end = bench_people(args.cases)
    statuses: dict[str, int] = {}

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        statuses[status[:3]] = statuses.get(status[:3], 0) + 1

    def one(raw: bytes) -> int:
        body = application(environ(raw), start_response)
        size = len(b"".join(body))
        if hasattr(body, "close"):
            body.close()
        return size

    def backend() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    profiler = cProfile.Profile(time.process_time) if args.profile else None
    for kind in args.kinds.split(","):
        cases = [Case.objects.create(person_id=pk, confirmed_at=end, window_start=start,
                                     window_end=end, margin_minutes=60, created_by=grant.user)
                 for pk in people[kind]]
        try:
            for mode in args.modes.split(","):
                requests = [_request("GET", f"/api/v1/cases/{case.pk}/exposures{MODES[mode]}",
                                     f"Bearer {token}", None) for case in cases]
                for raw in requests:  # warm: the prepared statement, the caches
                    one(raw)
                statuses.clear()
                wall, app, db, sizes = _measure(requests, args.runs, one, backend, profiler)
                print(f"{kind:8} {mode:4}: {len(wall)} requests {statuses}, wall p50 "
                      f"{statistics.median(wall):.1f} p95 {_percentile(wall, 0.95):.1f} ms; "
                      f"app CPU {statistics.mean(app):.2f} ms (p95 "
                      f"{_percentile(app, 0.95):.2f}); PostgreSQL CPU "
                      f"{statistics.mean(db):.2f} ms; body {statistics.median(sizes):,.0f} B "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
        finally:
            Case.objects.filter(pk__in=[case.pk for case in cases]).delete()
    if profiler:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


def _measure(requests: list[bytes], runs: int, one: Callable[[bytes], int],
             backend: Callable[[], int], profiler: cProfile.Profile | None
             ) -> tuple[list[float], list[float], list[float], list[int]]:
    wall, app, db, sizes = [], [], [], []
    pid = backend()
    for _ in range(runs):
        for raw in requests:
            began_db, began_cpu = _cpu_seconds(pid), time.process_time()
            began = time.perf_counter()
            if profiler:
                profiler.enable()
            sizes.append(one(raw))
            if profiler:
                profiler.disable()
            wall.append((time.perf_counter() - began) * 1000)
            app.append((time.process_time() - began_cpu) * 1000)
            db.append((_cpu_seconds(pid) - began_db) * 1000)
    return wall, app, db, sizes


if __name__ == "__main__":
    main()
