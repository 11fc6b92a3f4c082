"""`make bench`: the whole benchmark against the production-style server, in one run.

    make bench                 # 1 M scans
    make bench SCALE=30M       # 30 M scans (generation takes a long while, once)

1. a PostgreSQL database `kiemdich_bench` (BENCH_DATABASE_URL), migrated, areas loaded, and a
   generated province (bench/generate.py, kept between runs when already big enough);
2. the documented deployment (`make serve-api`): granian's WSGI workers, BENCH_WORKERS of
   them (default: one per core and one more) with BENCH_THREADS threads each, the psycopg pool
   (DB_POOL=1), the live feed published to Redis, DEBUG off, synchronous_commit on;
3. the no-op ceiling of that stack (`GET /api/v1/health`, a ramp to saturation);
4. the scan ingest (readers) and the poster check-in at fixed rates and a ramp (bench/load.py);
5. tracing: cases of generated people with 14 days of visits, every contact, p95;
6. the province dashboard (`GET /api/v1/stats`) over one day and the whole range, p95;
7. the bare PostgreSQL ceiling of the same work (pgbench: bench/pgbench_scan.sql and the
   scan's statement as the code writes it, `pgbench_script`);

then prints a table with each target met or MISSED and our figures as shares of both
ceilings, and writes it all to bench/results/<scale>-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
# This checkout's code, in this process and in the server's (not whichever checkout the
# editable install points to).
sys.path.insert(0, str(ROOT))

from kiemdich.core import clock  # noqa: E402

if TYPE_CHECKING:
    from kiemdich.areas.models import Area

RESULTS = ROOT / "bench" / "results"
SCALES = {
    # scans: (people, venues, days, scans per person-day)
    "tiny": (2_000, 100, 3, 2.0),
    "1M": (80_000, 4_000, 14, 0.9),
    "30M": (1_000_000, 30_000, 30, 1.0),
}
TARGETS = {"scans_per_second": 2000, "scan_p99_ms": 100, "tracing_p95_ms": 50,
           "tracing_busiest_p95_ms": 150, "dashboard_p95_ms": 50, "worker_rss_mb": 200,
           # 30 M figures of tracing and the dashboard at most this much above 1 M's.
           "scale_slowdown": 0.10}
# A case's screen and the exposures endpoint's first page: the top of the ranking.
TRACING_PAGE = 100
# Issue 20, as shares of the no-op endpoint's sustained rate measured in the same run, and CPU
# per scan at most half of the figures before it (docs/scaling.md: 2.0 ms of the app server,
# 0.7 ms of PostgreSQL; `--before` takes them from an earlier run's JSON on this machine).
SHARE_TARGETS = {"scan": 0.50, "checkin": 0.40}
CPU_BEFORE_MS = {"app": 2.0, "db": 0.7}
PORT = 18900


def _env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY",
                                         "bench-secret-key-not-for-production-0123456789"),
            "KEY_ENCRYPTION_KEY": os.environ.get(
                "KEY_ENCRYPTION_KEY", "bench-key-encryption-key-not-for-production-0123"),
            "AUDIT_KEY": os.environ.get("AUDIT_KEY",
                                        "bench-audit-key-not-for-production-0123456789"),
            "SMS_BACKEND": "console", "DB_POOL": "1",
            # Each reader here scans tens of times a second, far past a real gate's limit: the
            # limiter still counts every scan (its cost is measured) but never refuses.
            "SCAN_RATE_PER_MINUTE": "1000000",
            # As deployed: the live feed leaves each scan on Redis for the live server.
            "PUBSUB_BACKEND": "redis",
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
            "KIEMDICH_DATA_DIR": str(ROOT / "var" / "bench"), "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT)}


def _setup_django(database_url: str) -> None:
    os.environ.update(_env(database_url))
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "kiemdich.settings"
    os.environ.pop("DB_POOL")  # this process is the measurer, not the server
    import django

    django.setup()


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def ensure_data(scale: str, refresh: bool = True) -> dict:
    from django.core.management import call_command

    from kiemdich.areas.models import Area
    from kiemdich.scans.models import Scan

    call_command("migrate", verbosity=0)
    if not Area.objects.exists():
        call_command("load_areas", verbosity=0)
    people, venues, days, per_day = SCALES[scale]
    wanted = int(people * days * per_day * 0.9)
    have = _estimate(Scan)
    if have < wanted:
        print(f"generating {scale}: {people:,} people, {venues:,} venues, {days} days…",
              flush=True)
        from bench.generate import population
        from bench.loadgen import Plan

        population(Plan(people=people, venues=venues, days=days, scans_per_person_day=per_day))
    else:
        from kiemdich.reports import rollups
        from kiemdich.reports.models import AreaDay, DeclarantSeen, VenueSeen

        # Data made before these rollups existed (the dashboard reads them).
        if refresh and not all(m.objects.exists() for m in (DeclarantSeen, VenueSeen, AreaDay)):
            rollups.refresh(since=clock.today() - timedelta(days=days - 1))
    from kiemdich.scans.models import Visit

    return {"scans": _estimate(Scan), "visits": _estimate(Visit), "days": days}


def _estimate(model) -> int:
    """Rows in a table: exact when small, the planner's estimate when big (a count of 30 M
    rows takes seconds); a partitioned table's estimate is its partitions'."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + connection.ops.quote_name(model._meta.db_table))
        cursor.execute("SELECT COALESCE((SELECT SUM(GREATEST(c.reltuples, 0)) FROM pg_class c "
                       "JOIN pg_inherits i ON i.inhrelid = c.oid WHERE i.inhparent = "
                       "%s::regclass), (SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = "
                       "%s::regclass))::bigint", [model._meta.db_table] * 2)
        estimate = cursor.fetchone()[0]
    return estimate if estimate > 1_000_000 else model.objects.count()


class Server:
    """The API server as `make serve-api` runs it, with the pool on."""

    def __init__(self, database_url: str, workers: int, threads: int) -> None:
        self.database_url, self.workers, self.threads = database_url, workers, threads
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = _env(self.database_url)
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "wsgi",
             "kiemdich.wsgi:application", "--host", "127.0.0.1", "--port", str(PORT),
             "--workers", str(self.workers), "--blocking-threads", str(self.threads),
             "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True)
        import httpx

        for _ in range(150):
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not start")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{PORT}"

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def p95(samples: list[float]) -> float:
    from bench.load import percentile

    return percentile(samples, 0.95)


def bench_tracing(cases: int = 10, runs: int = 3) -> dict:
    """Cases of `bench_people`: the busiest and the typical."""
    people, start, end = bench_people(cases)
    return {kind: _trace(people[kind], start, end, runs) for kind in ("busiest", "typical")}


def bench_people(cases: int = 10) -> tuple[dict[str, list[int]], datetime, datetime]:
    """F0s of generated people over the 14 days before today (and that window): the people
    with the most visits (`busiest`, the worst cases), and people picked at random among
    those with a visit (`typical`). The window ends at midnight so that the load driver's
    traffic (today, at the busiest venues, the same people over and over) is not what gets
    traced."""
    import random

    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from kiemdich.people.models import Person
    from kiemdich.scans.models import Visit

    end = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=14)
    in_window = Visit.objects.filter(entered_at__gte=start, entered_at__lt=end)
    busiest = list(in_window.values("person_id").annotate(n=Count("id")).order_by("-n", "person_id")
                   .values_list("person_id", flat=True)[:cases])
    bounds = Person.objects.aggregate(low=Min("pk"), high=Max("pk"))
    rng = random.Random(7)
    sample = [rng.randint(bounds["low"] or 0, bounds["high"] or 0) for _ in range(cases * 20)]
    seen = set(in_window.filter(person_id__in=sample).values_list("person_id", flat=True))
    typical = [pk for pk in dict.fromkeys(sample) if pk in seen][:cases]
    return {"busiest": busiest, "typical": typical}, start, end


def _trace(people: list[int], start, now, runs: int) -> dict:
    """Each case as the exposures endpoint answers its first page (every contact ranked, in
    the database on PostgreSQL, TRACING_PAGE of them returned: `p50_ms`, `p95_ms`), and as
    the whole list the exports use (`full_*`, built in Python)."""
    from kiemdich.tracing import services
    from kiemdich.tracing.models import Case

    timings, full, contacts, visits = [], [], [], []
    for person_id in people:
        case = Case.objects.create(person_id=person_id, confirmed_at=now, window_start=start,
                                   window_end=now, margin_minutes=60)
        for _ in range(runs):
            began = time.perf_counter()
            page = services.exposures_page(None, case, limit=TRACING_PAGE, audit="")
            timings.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        exp = services.exposures(None, case, audit="")
        full.append((time.perf_counter() - began) * 1000)
        assert page.total == len(exp.contacts), (page.total, len(exp.contacts))
        contacts.append(len(exp.contacts))
        visits.append(len(exp.visits))
        case.delete()
    return {"cases": len(people), "runs": len(timings), "page": TRACING_PAGE,
            "p50_ms": round(statistics.median(timings), 1) if timings else None,
            "p95_ms": round(p95(timings), 1) if timings else None,
            "max_ms": round(max(timings), 1) if timings else None,
            "full_p50_ms": round(statistics.median(full), 1) if full else None,
            "full_p95_ms": round(p95(full), 1) if full else None,
            "f0_visits_median": statistics.median(visits) if visits else 0,
            "contacts_median": statistics.median(contacts) if contacts else 0,
            "contacts_max": max(contacts, default=0)}


def dashboard_token() -> tuple[str, Area]:
    """A bearer token of an officer of the province the dashboard is measured for (granting
    the role writes to the database), and that province."""
    from kiemdich.accounts.auth import issue_token
    from kiemdich.accounts.models import Role
    from kiemdich.accounts.services import grant_role
    from kiemdich.areas.models import Area

    province = Area.objects.filter(depth=0, code="75").first() or \
        Area.objects.filter(depth=0).order_by("code").first()
    grant = grant_role("0869999998", Role.OFFICER, province)
    token, _record = issue_token(grant.user)
    return token, province


def stats_params(province: Area, today: date, days: int) -> dict[str, str]:
    """The dashboard's query: today alone, or the `days` days to today."""
    if days == 1:
        return {"area": province.code}
    return {"area": province.code, "date_from": (today - timedelta(days=days - 1)).isoformat(),
            "date_to": today.isoformat()}


def bench_dashboard(base: str, days: int, runs: int = 15) -> dict:
    """GET /api/v1/stats for the province through the server, one day and the whole range."""
    import httpx

    token, province = dashboard_token()
    today = clock.today()
    results = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as http:
        for label, length in [("1 day", 1), (f"{days} days", days)]:
            params = stats_params(province, today, length)
            http.get("/api/v1/stats", params=params).raise_for_status()
            samples = []
            for _ in range(runs):
                began = time.perf_counter()
                http.get("/api/v1/stats", params=params).raise_for_status()
                samples.append((time.perf_counter() - began) * 1000)
            results[label] = {"p50_ms": round(statistics.median(samples), 1),
                              "p95_ms": round(p95(samples), 1)}
    return results


def pgbench_variables() -> list[str]:
    from django.db.models import Max, Min

    from kiemdich.people.models import Person
    from kiemdich.venues.models import Device

    venues = Device.objects.aggregate(low=Min("venue_id"), high=Max("venue_id"))
    people = Person.objects.aggregate(low=Min("pk"), high=Max("pk"))
    return ["-D", f"vmin={venues['low'] or 1}", "-D", f"vmax={venues['high'] or 1}",
            "-D", f"pmin={people['low'] or 1}", "-D", f"pmax={people['high'] or 1}"]


# What pgbench gives the scan's statement where the server binds a parameter: pgbench binds
# only its own (integer) variables, so the others are expressions of the same values — a
# reader's scan now, a random direction, a fresh nonce, the person's public id by their id.
PGBENCH_VALUES = {
    "venue": ":venue", "person": "(SELECT public_id FROM people_person WHERE id = :person)",
    "serial": "NULL", "card": "false", "at": "now()", "at_text": "now()::text",
    "received_at": "now()", "direction": "(CASE WHEN random() < 0.5 THEN 'in' ELSE 'out' END)",
    "method": "'device'", "code_format": "'kd_app'", "nonce": "md5(random()::text)",
    "body_digest": "md5(random()::text)", "device": "NULL", "actor": "NULL",
    "window": "'300 seconds'", "closes_at": "(now() + interval '60 minutes')",
}


def pgbench_script(day: date) -> str:
    """bench/pgbench_scan.sql followed by the scan's one statement for `day`."""
    from kiemdich.scans.statements import accept_sql

    statement = re.sub(r"%\((\w+)\)s", lambda m: PGBENCH_VALUES[m.group(1)], accept_sql(day))
    return f"{(ROOT / 'bench' / 'pgbench_scan.sql').read_text()}{statement};\n"


def bench_pgbench(seconds: int, clients: int) -> dict:
    from django.db import connection

    if not shutil.which("pgbench"):
        return {"skipped": "pgbench not installed"}
    db = connection.settings_dict
    script = ROOT / "var" / "bench" / "pgbench_scan.sql"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(pgbench_script(clock.today()))
    # Prepared, with generic plans and no JIT: as the app sends them (kiemdich/settings.py).
    command = ["pgbench", "-n", "-M", "prepared", "-T", str(seconds), "-c", str(clients),
               "-j", "2", *pgbench_variables(), "-f", str(script),
               "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432),
               "-U", db["USER"] or "postgres", db["NAME"]]
    env = {**os.environ, "PGOPTIONS": "-c plan_cache_mode=force_generic_plan -c jit=off"}
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120,
                         check=False, env=env)
    figures = {"clients": clients}
    for line in out.stdout.splitlines():
        if line.startswith("tps = "):
            figures["tps"] = round(float(line.split()[2]), 1)
        elif line.startswith("latency average"):
            figures["latency_ms"] = float(line.split()[3])
    if out.returncode:
        figures["error"] = out.stderr[-500:]
    return figures


def run_load(base: str, kind: str, rates: list[float], seconds: float, server_pid: int,
             ramp_start: float, step_seconds: float) -> dict:
    from bench import load

    fixtures = load.prepare() if kind != "health" else load.Fixtures()
    traffic = load.Traffic(kind, fixtures, f"bench{int(time.time())}")
    memory = load.Memory(server_pid)
    statements = load.statements_per_request(fixtures) if kind != "health" else {}
    load.warm_up(base, traffic, 32)
    phases = []
    for rate in rates:
        phase = load.measured(base, traffic, rate, seconds, 32, memory,
                              check=kind != "health")
        print("  " + load.show(phase), flush=True)
        phases.append(phase)
    ramp, best = load.ramp(base, traffic, ramp_start, step_seconds, 32, memory,
                           p99_ms=TARGETS["scan_p99_ms"])
    for phase in ramp:
        print("  ramp " + load.show(phase), flush=True)
    print(f"  {kind}: {best:,.0f}/s sustained (p99 ≤ {TARGETS['scan_p99_ms']} ms)", flush=True)
    return {"statements_per_request": statements.get(kind),
            "phases": [asdict(p) for p in phases], "ramp": [asdict(p) for p in ramp],
            "sustained_per_second": round(best, 1),
            # The most the server accepted in any phase, whatever its latency.
            "peak_per_second": round(max([p.accepted_per_second for p in phases + ramp],
                                         default=0.0), 1),
            "peak_worker_rss_mb": max([p.worker_rss_mb or 0 for p in phases + ramp],
                                      default=0)}


def table_sizes() -> dict[str, float]:
    """On-disk size of the big tables with their indexes (partitions summed)."""
    from django.db import connection

    sizes = {}
    with connection.cursor() as cursor:
        for table in ("scans_scan", "scans_visit", "scans_scannonce", "people_person",
                      "declarations_declaration"):
            cursor.execute("SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM "
                           "pg_class c WHERE c.oid = %s::regclass OR c.oid IN (SELECT inhrelid "
                           "FROM pg_inherits WHERE inhparent = %s::regclass)", [table, table])
            sizes[table] = round(cursor.fetchone()[0] / 2**20, 1)
    return sizes


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def scale_rows(report: dict) -> list[tuple[str, str, str, str]]:
    """At 30 M: tracing and the dashboard against the latest 1 M run of bench/results."""
    if report.get("scale") != "30M":
        return []
    earlier = sorted(RESULTS.glob("1M-*.json"))
    if not earlier:
        return [("30 M within 10 % of 1 M", "no 1 M run in bench/results", "", "MISSED")]
    small = json.loads(earlier[-1].read_text())
    pairs = [(f"tracing p95, {kind}", report["tracing"][kind]["p95_ms"],
              small.get("tracing", {}).get(kind, {}).get("p95_ms"))
             for kind in report["tracing"]]
    ranges = {label == "1 day": figures["p95_ms"]
              for label, figures in small.get("dashboard", {}).items()}
    pairs += [(f"dashboard p95, {'1 day' if label == '1 day' else 'whole range'}",
               figures["p95_ms"], ranges.get(label == "1 day"))
              for label, figures in report["dashboard"].items()]
    rows = []
    for name, big, little in pairs:
        if not big or not little:
            continue
        change = big / little - 1
        rows.append((f"{name}: 30 M vs 1 M ({earlier[-1].name})",
                     f"{big} vs {little} ms ({change:+.0%})",
                     f"≤ +{TARGETS['scale_slowdown']:.0%}",
                     verdict(change <= TARGETS["scale_slowdown"])))
    return rows


def table(report: dict) -> list[tuple[str, str, str, str]]:
    rows = []
    noop = report["noop"]["peak_per_second"] or 1
    ceiling = report["pgbench"].get("tps") or 0
    scan = report["scan"]
    best, peak = scan["sustained_per_second"], scan["peak_per_second"]
    share = (f"peak {peak / noop:.0%} of no-op, {peak / ceiling:.0%} of pgbench" if ceiling
             else f"peak {peak / noop:.0%} of no-op")
    rows.append(("scans/s sustained (p99 ≤ 100 ms)", f"{best:,.0f}",
                 f"≥ {TARGETS['scans_per_second']:,}",
                 verdict(best >= TARGETS["scans_per_second"])))
    rows.append(("scans/s peak accepted (any latency)", f"{peak:,.0f}", "", share))
    rows.append(("check-ins/s sustained / peak",
                 f"{report['checkin']['sustained_per_second']:,.0f} / "
                 f"{report['checkin']['peak_per_second']:,.0f}", "", ""))
    rows.append(("no-op GET /health/s sustained / peak",
                 f"{report['noop']['sustained_per_second']:,.0f} / {noop:,.0f}", "",
                 "ceiling of the stack"))
    if ceiling:
        rows.append(("pgbench same work, tps", f"{ceiling:,.0f}", "", "ceiling of PostgreSQL"))
    fixed = [p for p in scan["phases"] if p["accepted"]]
    for phase in fixed:
        committed = phase["committed"]
        rows.append((f"scan @ {phase['rate']:,.0f}/s offered",
                     f"{phase['accepted_per_second']:,.0f}/s p99 {phase['p99_ms']:.0f} ms",
                     "p99 ≤ 100 ms", f"{verdict(phase['p99_ms'] <= TARGETS['scan_p99_ms'])}; "
                     f"committed {committed}/{phase['accepted']}"))
    committed_ok = all(p["committed"] is not None and p["committed"] >= p["accepted"]
                       for p in fixed)
    rows.append(("every 2xx committed", "yes" if committed_ok else "NO", "yes",
                 verdict(committed_ok)))
    if scan.get("statements_per_request") is not None:
        rows.append(("SQL statements per scan", f"{scan['statements_per_request']:g}",
                     "", "BEGIN/COMMIT included"))
    for kind, tracing in report["tracing"].items():
        target = TARGETS["tracing_busiest_p95_ms" if kind == "busiest" else "tracing_p95_ms"]
        rows.append((f"tracing p95, {kind} F0 (median {tracing['contacts_median']:,.0f} "
                     f"contacts, first {tracing.get('page', TRACING_PAGE)})",
                     f"{tracing['p95_ms']} ms", f"≤ {target} ms",
                     verdict((tracing["p95_ms"] or 0) <= target)))
        if tracing.get("full_p95_ms") is not None:
            rows.append((f"tracing p95, {kind} F0, every contact (exports)",
                         f"{tracing['full_p95_ms']} ms", "", ""))
    for label, figures in report["dashboard"].items():
        rows.append((f"dashboard p95, province, {label}", f"{figures['p95_ms']} ms",
                     f"≤ {TARGETS['dashboard_p95_ms']} ms",
                     verdict(figures["p95_ms"] <= TARGETS["dashboard_p95_ms"])))
    rows += issue20_rows(report)
    rows += scale_rows(report)
    rss = max(scan["peak_worker_rss_mb"], report["checkin"]["peak_worker_rss_mb"])
    rows.append(("worker memory (max RSS)", f"{rss:.0f} MB", f"≤ {TARGETS['worker_rss_mb']} MB",
                 verdict(rss <= TARGETS["worker_rss_mb"])))
    return rows


def cpu_per_request(figures: dict) -> dict[str, float | None]:
    """App and PostgreSQL CPU per request in the lowest fixed-rate phase (not saturated)."""
    phases = [p for p in figures["phases"] if p.get("app_cpu_ms") is not None]
    if not phases:
        return {"app": None, "db": None}
    phase = min(phases, key=lambda p: p["rate"])
    return {"app": phase["app_cpu_ms"], "db": phase["db_cpu_ms"], "rate": phase["rate"]}


def issue20_rows(report: dict) -> list[tuple[str, str, str, str]]:
    """Issue 20's targets, each ok or MISSED, with the ratios."""
    rows = []
    noop = report["noop"]["sustained_per_second"]
    for kind in ("scan", "checkin"):
        best = report[kind]["sustained_per_second"]
        share = best / noop if noop else 0.0
        rows.append((f"{kind} sustained / no-op sustained (p99 ≤ 100 ms)",
                     f"{best:,.0f} / {noop:,.0f} = {share:.0%}",
                     f"≥ {SHARE_TARGETS[kind]:.0%}", verdict(share >= SHARE_TARGETS[kind])))
    before = report.get("cpu_before_ms", CPU_BEFORE_MS)
    now = report["scan"].get("cpu_ms") or {}
    for key, label in (("app", "app server"), ("db", "PostgreSQL")):
        value = now.get(key)
        if value is None:
            continue
        rows.append((f"{label} CPU per scan (at {now['rate']:,.0f}/s)",
                     f"{value:.2f} ms ({value / before[key]:.0%} of {before[key]:.2f})",
                     f"≤ {before[key] / 2:.2f} ms", verdict(value <= before[key] / 2)))
    noop_cpu = (report["noop"].get("cpu_ms") or {}).get("app")
    if noop_cpu and now.get("app"):
        rows.append(("app CPU, no-op / scan", f"{noop_cpu:.2f} / {now['app']:.2f} ms = "
                     f"{noop_cpu / now['app']:.0%}", "", "the CPU side of the share"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default=os.environ.get("SCALE",
                                                                                  "1M"))
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="default: kiemdich_bench (1M), kiemdich_bench_<scale> otherwise")
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("BENCH_WORKERS", (os.cpu_count() or 2) + 1)))
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("BENCH_THREADS", 4)))
    parser.add_argument("--rates", default="500,1000,2000,3000")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--step-seconds", type=float, default=6)
    parser.add_argument("--ramp-start", type=float, default=None,
                        help="every ramp's first rate (default 200 no-op, 100 scan, 50 "
                             "check-in); lower on a busy machine")
    parser.add_argument("--noop-rates", default="",
                        help="fixed rates for the no-op endpoint too (its CPU per request)")
    parser.add_argument("--before", help="an earlier run's JSON: its CPU per scan is the "
                                         "'before' of the CPU targets")
    parser.add_argument("--data-only", action="store_true",
                        help="make the database and its generated data, then stop (the 30 M "
                             "data takes long: make it once, measure later)")
    parser.add_argument("--skip", default="",
                        help="comma-separated parts not to run: dashboard,tracing,pgbench")
    args = parser.parse_args()
    if not args.database_url:
        name = "kiemdich_bench" if args.scale == "1M" else f"kiemdich_bench_{args.scale.lower()}"
        args.database_url = f"postgres://postgres@127.0.0.1:5432/{name}"
    ensure_database(args.database_url)
    _setup_django(args.database_url)
    began = time.time()
    report: dict = {"scale": args.scale, "server": "granian wsgi (make serve-api)",
                    "workers": args.workers, "threads": args.threads, "cpus": os.cpu_count(),
                    "load_average_before": os.getloadavg()}
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    report["data"] = ensure_data(args.scale, refresh="dashboard" not in skip)
    print(f"data: {report['data']}", flush=True)
    if args.data_only:
        return
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    with Server(args.database_url, args.workers, args.threads) as server:
        pid = server.process.pid
        print("no-op (GET /api/v1/health):", flush=True)
        start = args.ramp_start
        noop_rates = [float(r) for r in args.noop_rates.split(",") if r.strip()]
        report["noop"] = run_load(server.base, "health", noop_rates, args.seconds, pid,
                                  start or 200, args.step_seconds)
        print("scan ingest (readers):", flush=True)
        report["scan"] = run_load(server.base, "scan", rates, args.seconds, pid, start or 100,
                                  args.step_seconds)
        print("poster check-in:", flush=True)
        report["checkin"] = run_load(server.base, "checkin", rates[:2], args.seconds, pid,
                                     start or 50, args.step_seconds)
        for kind in ("noop", "scan", "checkin"):
            report[kind]["cpu_ms"] = cpu_per_request(report[kind])
        print("dashboard:", flush=True)
        report["dashboard"] = (bench_dashboard(server.base, report["data"]["days"])
                               if "dashboard" not in skip else {})
    print("tracing:", flush=True)
    report["tracing"] = bench_tracing() if "tracing" not in skip else {}
    print("pgbench:", flush=True)
    report["pgbench"] = bench_pgbench(int(args.seconds), 8) if "pgbench" not in skip else {}
    if args.before:
        before = json.loads(Path(args.before).read_text())["scan"].get("cpu_ms") or {}
        if before.get("app") and before.get("db"):
            report["cpu_before_ms"] = {"app": before["app"], "db": before["db"]}
    report["load_average_after"] = os.getloadavg()
    report["table_sizes_mb"] = table_sizes()
    report["seconds"] = round(time.time() - began)
    rows = table(report)
    report["table"] = rows
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.scale}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
