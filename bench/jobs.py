"""The job worker on PostgreSQL: jobs per second, and the lag from a scan to the statistics.

    .venv/bin/python bench/jobs.py [--jobs 3000] [--workers 1 2 4] [--lag-seconds 180]

1. Jobs per second: N no-op jobs (`bench.noop`) queued, then one `run_worker` started with
   JOB_WORKERS processes; the time from its start to the empty queue (the worker's start-up,
   about a second, is counted).
2. Scan-to-statistics lag: the API server as deployed (`deploy/serve-api`) and one worker
   with its schedule (`stats.today`), reader scans at --rate per second; every second the
   province's `GET /api/v1/stats` is read, and each reading's lag is its time minus the time
   the last scan it counts was acknowledged.

A database `kiemdich_bench_jobs` on BENCH_PG (default the local server) is made afresh.
Prints the figures and writes bench/results/jobs-<time>.json.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))



def noop(n: int) -> int:
    return n


def declare() -> None:
    """The no-op job, in this process and the worker's (after Django's set-up)."""
    from kiemdich.jobs.registry import JOBS, job

    if "bench.noop" not in JOBS:
        job("bench.noop", description="benchmark", timeout=60)(noop)


def bench_env(url: str, data: Path, **extra: str) -> dict[str, str]:
    """The environment of the benchmark's processes: production settings on `url`."""
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SMS_BACKEND": "console",
            "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
            "KEY_ENCRYPTION_KEY": "bench-key-encryption-key-not-for-production-0123",
            "AUDIT_KEY": "bench-audit-key-not-for-production-0123456789",
            "KIEMDICH_DATA_DIR": str(data), "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
            **extra}


def save_results(name: str, results: dict) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(results, indent=2))


def _fresh_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def _worker(env: dict[str, str], workers: int, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "bench.job_worker"], cwd=ROOT,
                                env={**env, "JOB_WORKERS": str(workers)}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def jobs_per_second(env: dict[str, str], count: int, workers: int, log: Path) -> dict:
    from django_q.models import OrmQ, Task

    from kiemdich.jobs.registry import enqueue

    Task.objects.all().delete()
    for n in range(count):
        enqueue("bench.noop", n)
    started = time.monotonic()
    process = _worker(env, workers, log)
    try:
        while OrmQ.objects.exists():
            time.sleep(0.05)
        seconds = time.monotonic() - started
    finally:
        _stop(process)
    return {"jobs": count, "workers": workers, "seconds": round(seconds, 2),
            "jobs_per_second": round(count / seconds, 1)}


def scan_to_statistics_lag(env: dict[str, str], seconds: float, rate: float,
                           log: Path) -> dict:
    import httpx

    from tests.faults.harness import ApiServer, ScanLoad, build_world, manage

    world = build_world(env, people=50)
    manage(env, "create_officer", "--phone", "0988000009", "--role", "admin")
    token = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ.setdefault("
         "'DJANGO_SETTINGS_MODULE', 'kiemdich.settings'); django.setup(); "
         "from kiemdich.accounts.auth import issue_token; "
         "from kiemdich.accounts.models import User; "
         "print(issue_token(User.objects.get(phone__endswith='988000009'))[0])"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()
    readings: list[tuple[float, int]] = []
    with ApiServer(env, workers=2) as server, httpx.Client(base_url=server.url,
                                                          timeout=10) as client:
        worker = _worker(env, 2, log)
        try:
            with ScanLoad(server.url, world, rate=rate) as load:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    body = client.get("/api/v1/stats", params={"area": "75"},
                                      headers={"Authorization": f"Bearer {token}"}).json()
                    readings.append((time.monotonic(), body["totals"]["scans_in"]))
                    time.sleep(1)
        finally:
            _stop(worker)
    acked = sorted(a.at + a.seconds for a in load.acknowledged())
    lags = []
    for at, counted in readings:
        # The scans a reading counts are the first `counted` acknowledged ones (all of today).
        if 0 < counted <= len(acked) and bisect.bisect_right(acked, at) > counted:
            lags.append(at - acked[counted - 1])
    if not lags:
        raise RuntimeError("no reading lagged behind the load: too short a run")
    return {"scan_rate": rate, "seconds": seconds, "scans": len(acked),
            "readings": len(lags), "lag_median_s": round(statistics.median(lags), 1),
            "lag_max_s": round(max(lags), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--lag-seconds", type=float, default=180)
    parser.add_argument("--rate", type=float, default=50, help="reader scans per second")
    args = parser.parse_args()
    server = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    url = _fresh_database(server, "kiemdich_bench_jobs")
    data = ROOT / "var" / "bench-jobs"
    data.mkdir(parents=True, exist_ok=True)
    env = bench_env(url, data, SCAN_RATE_PER_MINUTE="1000000")
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kiemdich.settings"
    import django

    django.setup()
    declare()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    log = data / "worker.log"
    results = {"jobs_per_second": [jobs_per_second(env, args.jobs, n, log)
                                   for n in args.workers]}
    for row in results["jobs_per_second"]:
        print(f"jobs/s  {row['workers']} worker process(es): {row['jobs_per_second']:>7} "
              f"({row['jobs']} jobs in {row['seconds']} s)", flush=True)
    results["scan_to_statistics"] = lag = scan_to_statistics_lag(env, args.lag_seconds,
                                                                 args.rate, log)
    print(f"scan → statistics lag at {lag['scan_rate']} scans/s: median "
          f"{lag['lag_median_s']} s, max {lag['lag_max_s']} s ({lag['readings']} readings)")
    save_results("jobs", results)


if __name__ == "__main__":
    main()
