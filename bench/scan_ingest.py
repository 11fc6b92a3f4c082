"""Scan ingest throughput: accepted scans per second, in-process and through uvicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kd_scan_bench \
        .venv/bin/python bench/scan_ingest.py --scans 3000 --workers 4 --clients 16

Prepares (in the database named by DATABASE_URL, default a fresh SQLite file in a temporary
directory) one venue with a staff account, and PEOPLE people with personal codes. Then:

1. `service`: N calls of `scans.services.ingest` in this process (the hot path alone);
2. `client`: N POSTs through Django's test client (routing, auth, JSON, the whole stack);
3. `uvicorn`: N POSTs from CLIENTS threads (httpx, keep-alive) to `uvicorn --workers W`.

Every scan is a different person or alternates in/out, so nothing is a repeat and each makes
a visit write, as in real traffic. Prints scans/s and the mean latency of each phase.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_TMP = Path(tempfile.mkdtemp(prefix="kd-scan-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ.setdefault("AUDIT_KEY", "bench-audit-key-not-for-production-0123456789")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'bench.sqlite3'}")
os.environ.setdefault("KEY_ENCRYPTION_KEY", "bench-key-encryption-key-not-for-production-0123")
os.environ.setdefault("SMS_BACKEND", "console")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from kiemdich.accounts.auth import issue_token  # noqa: E402
from kiemdich.accounts.services import account_for_phone  # noqa: E402
from kiemdich.areas.models import Area  # noqa: E402
from kiemdich.people.codes import issue_app_code  # noqa: E402
from kiemdich.people.models import Person  # noqa: E402
from kiemdich.scans.access import Scanner  # noqa: E402
from kiemdich.scans.services import ScanInput, ingest  # noqa: E402
from kiemdich.venues.models import Venue  # noqa: E402
from kiemdich.venues.services import register_venue  # noqa: E402

PEOPLE = 500


def prepare() -> tuple[Venue, str, list[str]]:
    call_command("migrate", verbosity=0)
    if not Area.objects.filter(is_leaf=True).exists():
        call_command("load_areas", verbosity=0)
    owner = account_for_phone("0899000001")
    venue = Venue.objects.filter(owner=owner).first() or register_venue(owner, {
        "name": "Siêu thị đo tải", "venue_type": "supermarket", "street": "1 Đường Thử",
        "area_code": Area.objects.filter(is_leaf=True).order_by("pk").first().code})
    token, _record = issue_token(owner)
    existing = list(Person.objects.filter(full_name__startswith="Bench ").order_by("pk"))
    missing = PEOPLE - len(existing)
    if missing > 0:
        existing += Person.objects.bulk_create(
            [Person(full_name=f"Bench {n}", source=Person.Source.MANUAL)
             for n in range(len(existing), PEOPLE)])
    now = timezone.now()
    codes = [issue_app_code(person.public_id, now)[0] for person in existing[:PEOPLE]]
    return venue, token, codes


def items(codes: list[str], count: int, round_: int) -> list[dict]:
    """Person i's k-th scan alternates in/out; the repeat window is set to 0 below."""
    return [{"code": codes[n % len(codes)],
             "direction": "in" if (n // len(codes) + round_) % 2 == 0 else "out"}
            for n in range(count)]


def report(name: str, count: int, seconds: float, latencies: list[float]) -> None:
    mean = statistics.fmean(latencies) * 1000 if latencies else 0.0
    p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0.0
    print(f"{name:<10} {count:>7} scans  {count / seconds:>8.0f} scans/s  "
          f"mean {mean:6.2f} ms  p95 {p95:6.2f} ms")


def bench_service(venue: Venue, codes: list[str], count: int) -> None:
    owner = venue.owner
    latencies = []
    start = time.perf_counter()
    for item in items(codes, count, 0):
        t = time.perf_counter()
        outcome = ingest(venue, Scanner(owner, None), ScanInput(**item))
        latencies.append(time.perf_counter() - t)
        assert outcome.status == 201, outcome.body
    report("service", count, time.perf_counter() - start, latencies)


def bench_client(venue: Venue, token: str, codes: list[str], count: int) -> None:
    client = Client()
    url = f"/api/v1/venues/{venue.pk}/scans"
    latencies = []
    start = time.perf_counter()
    for item in items(codes, count, 1):
        t = time.perf_counter()
        response = client.post(url, item, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")
        latencies.append(time.perf_counter() - t)
        assert response.status_code == 201, response.content
    report("client", count, time.perf_counter() - start, latencies)


def bench_uvicorn(venue: Venue, token: str, codes: list[str], count: int, workers: int,
                  clients: int) -> None:
    port = 18765
    # Under ASGI each request's sync code runs on a pool thread: persistent connections would
    # pile up (one per thread) until PostgreSQL refuses clients, so they are off here.
    env = {**os.environ, "SCAN_REPEAT_WINDOW_SECONDS": "0", "DB_CONN_MAX_AGE": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "kiemdich.asgi:application", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/api/v1/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        work = items(codes, count, 0)
        latencies: list[float] = []
        lock = threading.Lock()

        def run(part: list[dict]) -> None:
            with httpx.Client(base_url=base, timeout=30,
                              headers={"Authorization": f"Bearer {token}"}) as http:
                mine = []
                for item in part:
                    t = time.perf_counter()
                    response = http.post(f"/api/v1/venues/{venue.pk}/scans", json=item)
                    mine.append(time.perf_counter() - t)
                    assert response.status_code == 201, response.text
                with lock:
                    latencies.extend(mine)

        # Each thread keeps to its own people, so their in/out sequences stay in order.
        parts = [[i for i in work if codes.index(i["code"]) % clients == c] for c in range(clients)]
        threads = [threading.Thread(target=run, args=(part,)) for part in parts]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report(f"uvicorn/{workers}w", count, time.perf_counter() - start, latencies)
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    from django.conf import settings

    settings.SCAN_REPEAT_WINDOW_SECONDS = 0
    logging.getLogger("httpx").setLevel(logging.WARNING)
    venue, token, codes = prepare()
    print(f"database: {connection.vendor}, {os.cpu_count()} CPUs, {PEOPLE} people, "
          f"pub/sub: {settings.PUBSUB_BACKEND}")
    bench_service(venue, codes, args.scans)
    bench_client(venue, token, codes, args.scans)
    bench_uvicorn(venue, token, codes, args.scans, args.workers, args.clients)


if __name__ == "__main__":
    main()
