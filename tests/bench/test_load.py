"""The load driver against a live server for about a second at a tiny rate: its client speaks
HTTP/1.1 correctly, its callers are accepted, and its bookkeeping adds up (no timings)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.db import connection

from bench import generate, load
from bench.loadgen import Plan
from kiemdich.core import clock
from kiemdich.scans.models import Scan

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def population(areas):
    generate.population(Plan(people=60, venues=4, days=1, scans_per_person_day=1), StringIO())


@pytest.fixture
def fixtures(population) -> load.Fixtures:
    return load.prepare(venues=2, people_per_venue=5, accounts=10)


@pytest.mark.parametrize("kind", ["scan", "checkin", "health"])
def test_a_second_at_a_tiny_rate(live_server, fixtures, kind):
    before = load.last_scan_id()
    traffic = load.Traffic(kind, fixtures, run="t")
    phase = asyncio.run(load.run_phase(live_server.url, traffic, rate=15, seconds=1,
                                       connections=2))
    assert phase.sent == 15 and phase.dropped == 0
    assert phase.errors == {}
    assert phase.accepted == 15
    assert 0 < phase.p50_ms <= phase.p95_ms <= phase.p99_ms <= phase.max_ms
    if kind != "health":
        # Every 2xx is a committed row.
        assert load.scan_rows_after(before) == phase.accepted


@pytest.mark.postgres_only
def test_the_benchmark_drives_the_deployed_api_server(population):
    """`make serve-api` as the benchmark starts it (granian's WSGI workers, the pool, the live
    feed on Redis): reader scans are accepted and committed, signed with the keys the server
    reads from the same database."""
    from bench import run

    fixtures = load.prepare(venues=2, people_per_venue=5, accounts=10)

    db = connection.settings_dict
    url = (f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
           f"{db['PORT'] or 5432}/{db['NAME']}")
    before = load.last_scan_id()
    with run.Server(url, workers=1, threads=2) as server:
        traffic = load.Traffic("scan", fixtures, run="w")
        phase = asyncio.run(load.run_phase(server.base, traffic, rate=10, seconds=1,
                                           connections=2))
    assert phase.errors == {} and phase.accepted == 10
    assert load.scan_rows_after(before) == 10


def test_each_person_alternates_in_and_out(fixtures):
    traffic = load.Traffic("scan", fixtures, run="t")
    slots = len(traffic.slots)
    first = [traffic.next() for _ in range(slots)]
    second = [traffic.next() for _ in range(slots)]
    assert all(b'"direction": "in"' in raw for raw in first)
    assert all(b'"direction": "out"' in raw for raw in second)
    assert len({raw.split(b'"nonce": ')[1] for raw in first + second}) == 2 * slots


def test_statements_per_request_are_counted_in_process(fixtures):
    counts = load.statements_per_request(fixtures, samples=2)
    assert set(counts) == {"scan", "checkin"}
    assert all(1 <= n <= 20 for n in counts.values())


def test_the_driver_only_targets_this_machine():
    with pytest.raises(ValueError):
        load.Connection("example.org", 80)


def test_database_counters_and_worker_memory():
    counters = load.db_counters()
    if connection.vendor == "postgresql":
        assert counters["xact_commit"] > 0
    else:
        assert counters is None
    memory = load.Memory(os.getpid())
    memory.sample()
    assert memory.peak > 0


def test_pgbench_script_runs(population, tmp_path):
    if connection.vendor != "postgresql" or not shutil.which("pgbench"):
        pytest.skip("needs PostgreSQL and pgbench")
    from bench import run

    settings_db = connection.settings_dict
    script = tmp_path / "pgbench_scan.sql"
    script.write_text(run.pgbench_script(clock.today()))
    before = Scan.objects.count()
    result = subprocess.run(
        ["pgbench", "-n", "-M", "prepared", "-t", "5", "-c", "1", *run.pgbench_variables(),
         "-f", str(script), "-h", settings_db["HOST"] or "127.0.0.1",
         "-p", str(settings_db["PORT"] or 5432), "-U", settings_db["USER"] or "postgres",
         settings_db["NAME"]],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "number of failed transactions: 0" in result.stdout
    # The statement wrote (its people exist): five scans, each with its nonce.
    assert Scan.objects.count() - before == 5
