"""The job worker as deployed — `manage.py run_worker` in processes of its own — on SQLite
and on PostgreSQL: a scan reaches the statistics through it, two workers run a periodic job
once per period and never twice at once, and a job whose worker is killed with SIGKILL
mid-run is delivered again and its work done once."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.faults.harness import ApiServer, build_world, report, server_env
from tests.jobs.harness import Worker, job_database, probe, wait_for


@pytest.fixture
def world_env(tmp_path):
    with job_database(tmp_path) as url:
        env = server_env(url, tmp_path, PROBE_DIR=str(tmp_path), SCAN_RATE_PER_MINUTE="1000")
        yield env, build_world(env, people=3)


def scans_in(client: httpx.Client, token: str) -> tuple[int, str | None]:
    answer = client.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["totals"]["scans_in"], body["refreshed_at"]


def test_a_scan_reaches_the_statistics_through_the_worker(world_env):
    env, world = world_env
    token = probe(env, "admin", "0988000001")
    with ApiServer(env, workers=1) as server, Worker(env) as worker, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        before, _ = scans_in(client, token)
        assert before == 0
        answer = client.post(f"/api/v1/venues/{world.venue_id}/scans",
                             json={"code": world.codes[0], "direction": "in",
                                   "nonce": uuid.uuid4().hex},
                             headers={"Authorization": f"Device {world.device_token}"})
        assert answer.status_code == 201, answer.text
        scanned = time.monotonic()
        figures = wait_for(lambda: scans_in(client, token)[0] == 1 and scans_in(client, token),
                           90, (worker,), "the scan in GET /api/v1/stats")
        lag = time.monotonic() - scanned
    assert figures[0] == 1
    assert figures[1] is not None
    report("scan to statistics", seconds=round(lag, 1))


def test_two_workers_run_a_periodic_job_once_per_period(world_env):
    env, _world = world_env
    with Worker(env, probes=True) as first, Worker(env, probes=True) as second:
        wait_for(lambda: len([r for r in probe(env, "state")["runs"]
                              if r["name"] == "probe.tick"]) >= 3,
                 150, (first, second), "three periods of probe.tick")
    state = probe(env, "state")
    runs = [r for r in state["runs"] if r["name"] == "probe.tick"]
    periods = [r["scheduled_for"] for r in runs]
    assert None not in periods
    assert len(set(periods)) == len(periods)
    assert all(r["status"] == "ok" for r in runs)
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert later["started"] >= earlier["finished"]
    assert [t for t in state["tasks"] if t["group"] == "probe.tick"] == []  # none failed
    report("two workers, probe.tick", runs=len(runs))


def test_a_job_killed_with_its_worker_is_delivered_again_and_done_once(world_env):
    env, _world = world_env
    first = Worker(env, probes=True).start()
    try:
        probe(env, "enqueue", "k1")
        attempts = Path(env["PROBE_DIR"]) / "k1.attempts"
        # Its line written, not only the file made: a kill between the two left the first
        # attempt unrecorded, and the second ran as if it were the first.
        wait_for(lambda: attempts.exists() and attempts.read_text().strip(), 60, (first,),
                 "the first attempt of probe.slow")
        first.kill()
        killed = time.monotonic()
    finally:
        first.stop()
    assert probe(env, "state")["done"] == []
    with Worker(env, probes=True) as second:
        wait_for(lambda: probe(env, "state")["done"], 90, (second,), "probe.slow done")
        redone = time.monotonic() - killed
        wait_for(lambda: probe(env, "state")["queued"] == 0, 30, (second,), "an empty queue")
    state = probe(env, "state")
    assert state["done"] == ["k1"]
    attempts = state["attempts"]["k1"]
    assert len(attempts) == 2
    assert attempts[0] != attempts[1]
    # Success is not stored by the queue (save_limit -1); nothing failed either.
    assert [t for t in state["tasks"] if t["group"] == "probe.slow"] == []
    report("killed worker", seconds_to_redelivery=round(redone, 1))
