"""CPU of one request through the whole WSGI application, in-process, and where it goes.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/kiemdich_bench \\
        .venv/bin/python bench/profile_scan.py --kind scan --requests 3000 [--profile]
    … --kind stats --days 14 --requests 300   # the province dashboard's GET /api/v1/stats

The same application object the server runs (kiemdich.wsgi, DEBUG off, the pool, the live
feed on Redis, the rate limiter counting), called with WSGI environs as granian builds them:
no HTTP parsing, no network, so the figure is the app's own CPU per request (process time),
and with --profile the functions it is spent in (cProfile, by own time and by cumulative).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import itertools
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environ(raw: bytes) -> dict:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ")
    path, _, query = target.partition("?")
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": query,
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "18900", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
           "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True,
           "wsgi.run_once": False, "wsgi.version": (1, 0)}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        key = name.strip().upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            env[key] = value.strip()
        else:
            env[f"HTTP_{key}"] = value.strip()
    return env


def _backends() -> list[int]:
    """The PostgreSQL server processes connected to this database (the pool's), but the one
    asking."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        return [row[0] for row in cursor.fetchall()]


def _db_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += _cpu_seconds(pid)
    return total


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (on this machine: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stats_request(days: int) -> bytes:
    """GET /api/v1/stats for the province over `days` days to today, as bench/run.py asks it
    (an officer's token; granting the role writes to the database)."""
    from urllib.parse import urlencode

    from bench.load import _request
    from bench.run import dashboard_token, stats_params
    from kiemdich.core import clock

    token, province = dashboard_token()
    params = stats_params(province, clock.today(), days)
    return _request("GET", f"/api/v1/stats?{urlencode(params)}", f"Bearer {token}", None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=("scan", "checkin", "health", "stats"), default="scan")
    parser.add_argument("--days", type=int, default=1, help="stats: the range's length")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.run import _env

    url = os.environ.get("BENCH_DATABASE_URL",
                         "postgres://postgres@127.0.0.1:5432/kiemdich_bench")
    os.environ.update(_env(url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "kiemdich.settings"
    from bench import load
    from kiemdich.wsgi import application

    if args.kind == "stats":
        next_request = itertools.repeat(stats_request(args.days)).__next__
    else:
        fixtures = load.prepare(venues=10) if args.kind != "health" else load.Fixtures()
        next_request = load.Traffic(args.kind, fixtures, f"prof{int(time.time())}").next
    statuses: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        statuses[status[:3]] = statuses.get(status[:3], 0) + 1

    def one() -> None:
        body = application(environ(next_request()), start_response)
        b"".join(body)
        if hasattr(body, "close"):
            body.close()

    for _ in range(300):
        one()
    statuses.clear()
    backends = _backends()
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    began_db = _db_cpu(backends)
    began_cpu, began = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for _ in range(args.requests):
        one()
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - began_cpu, time.perf_counter() - began
    db_cpu = _db_cpu(backends) - began_db
    print(f"{args.kind}: {args.requests} requests, statuses {statuses}, "
          f"app CPU {cpu / args.requests * 1000:.3f} ms/request, PostgreSQL CPU "
          f"{db_cpu / args.requests * 1000:.3f} ms/request, wall {wall / args.requests * 1000:.3f} "
          f"ms/request (load average {os.getloadavg()[0]:.2f})", flush=True)
    if profiler:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
