"""The cluster's job workers (`manage.py run_worker`, one beside each API server, on the
leader through HAProxy): a scan made through the public entry reaches GET /api/v1/stats
through them; after `kill -9` of one worker's every process (its machine dying) the duties
still run, on the other one, which takes each job's lease in turn. Each worker answers its
own metrics (kiemdich/jobs/worker.py): the survivor's count of the statistics job moves."""

from __future__ import annotations

import os
import signal
import time
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.harness import report
from tests.jobs.harness import probe
from tools.cluster import alive, wait_for

# The province of a venue (`make cluster` loads the country's areas: an admin's statistics
# open on the first province, not necessarily the venue's).
PROVINCE = ("WITH RECURSIVE up AS (SELECT a.id, a.code, a.parent_id FROM areas_area a "
            "JOIN venues_venue v ON v.area_id = a.id WHERE v.id = {venue} UNION ALL "
            "SELECT p.id, p.code, p.parent_id FROM areas_area p JOIN up ON p.id = up.parent_id) "
            "SELECT code FROM up WHERE parent_id IS NULL")
# The scans the statistics of today count: accepted, in, since the local day began (every
# scan of the tests is at the world's one venue).
STORED_TODAY = ("SELECT count(*) FROM scans_scan WHERE accepted AND direction = 'in' AND "
                "scanned_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') "
                "AT TIME ZONE 'Asia/Ho_Chi_Minh'")


def scans_in(client: httpx.Client, token: str, area: str) -> int:
    answer = client.get("/api/v1/stats", params={"area": area},
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["totals"]["scans_in"]


def counted(cluster, client: httpx.Client, token: str, area: str) -> bool:
    """The statistics count every scan stored today: the scan just made among them (the
    statistics may still be catching up with the scans of the tests before)."""
    return scans_in(client, token, area) == int(cluster.psql(STORED_TODAY))


def scan(client: httpx.Client, world) -> None:
    answer = client.post(f"/api/v1/venues/{world.venue_id}/scans",
                         json={"code": world.codes[0], "direction": "in",
                               "nonce": uuid.uuid4().hex},
                         headers={"Authorization": f"Device {world.device_token}"})
    assert answer.status_code == 201, answer.text


def statistics_runs(cluster, worker: str) -> float:
    """The worker's count of successful runs of the statistics of today."""
    text = httpx.get(f"http://{cluster.members[worker].address}/metrics", timeout=5,
                     headers={"Authorization": f"Bearer {cluster.app_env()['METRICS_TOKEN']}"}
                     ).text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == "kiemdich_job_runs_total"
               and sample.labels == {"job_name": "stats.today", "result": "ok"})


def test_a_scan_reaches_the_statistics_through_the_workers_even_with_one_killed(
        cluster, world):
    token = probe(cluster.process_env(), "admin", "0988000101")
    province = cluster.psql(PROVINCE.format(venue=int(world.venue_id)))
    with httpx.Client(base_url=cluster.base_url, timeout=10) as client:
        scan(client, world)
        started = time.monotonic()
        wait_for(lambda: counted(cluster, client, token, province), "the scan in the statistics",
                 seconds=90)
        with_both = time.monotonic() - started

        killed = cluster.members["worker1"]
        os.killpg(killed.pid, signal.SIGKILL)
        wait_for(lambda: not alive(killed.pid), "worker1 gone")
        runs_before = statistics_runs(cluster, "worker2")
        scan(client, world)
        started = time.monotonic()
        # A run worker1 was in keeps its lease until the job's timeout and the margin
        # (25 s here): the other worker takes the job after that.
        wait_for(lambda: counted(cluster, client, token, province),
                 "the scan in the statistics with worker1 dead", seconds=120)
        with_one = time.monotonic() - started
        runs_after = statistics_runs(cluster, "worker2")
        running = [name for name in ("worker1", "worker2") if alive(cluster.members[name].pid)]
    report("job worker killed", scan_to_statistics_seconds=round(with_both, 1),
           with_one_worker_seconds=round(with_one, 1))
    cluster.start("worker1")
    wait_for(lambda: cluster.worker_started("worker1"), "worker1 back", seconds=60)

    assert running == ["worker2"]
    assert runs_after > runs_before
