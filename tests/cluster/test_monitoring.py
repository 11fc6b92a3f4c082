"""The cluster watched as deploy/cluster/prometheus.yml says: Prometheus scrapes every member
(both API servers, live servers and job workers with the metrics token, each Patroni, etcd,
HAProxy, and PostgreSQL and Redis through their exporters), every target up, and the
figures of the API servers add up across them."""

from __future__ import annotations

import time

import httpx

from tests.faults.harness import ScanLoad

EXPECTED_JOBS = {"kiemdich-api", "kiemdich-live", "kiemdich-worker", "patroni", "etcd",
                 "haproxy", "postgres", "redis"}


def targets(prometheus: str) -> list[dict]:
    answer = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()
    return answer["data"]["activeTargets"]


def query(prometheus: str, expression: str) -> float:
    result = httpx.get(f"{prometheus}/api/v1/query", params={"query": expression},
                       timeout=5).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def test_prometheus_scrapes_every_member_of_the_cluster(cluster, world):
    prometheus = f"http://{cluster.members['prometheus'].address}"
    deadline = time.monotonic() + 60
    while True:
        found = targets(prometheus)
        if found and all(t["health"] == "up" for t in found) or time.monotonic() > deadline:
            break
        time.sleep(1)
    down = [(t["labels"]["job"], t["scrapeUrl"], t["lastError"]) for t in found
            if t["health"] != "up"]
    assert not down
    by_job = {job: sorted(t["scrapeUrl"] for t in found if t["labels"]["job"] == job)
              for job in EXPECTED_JOBS}
    assert (len(by_job["kiemdich-api"]) == len(by_job["kiemdich-live"])
            == len(by_job["kiemdich-worker"]) == cluster.app_servers)
    assert len(by_job["patroni"]) == len(by_job["postgres"]) == cluster.databases
    assert len(by_job["etcd"]) == len(by_job["haproxy"]) == len(by_job["redis"]) == 1
    assert {t["labels"]["job"] for t in found} == EXPECTED_JOBS
    # The exporters reach what they watch: every database member (the one the failure
    # tests brought back answers its exporter from its next scrape on) and Redis.
    reached = "count(pg_up == 1) + count(redis_up == 1)"
    deadline = time.monotonic() + 60
    while query(prometheus, reached) < cluster.databases + 1 and time.monotonic() < deadline:
        time.sleep(1)
    assert query(prometheus, "count(pg_up == 1)") == cluster.databases
    assert query(prometheus, "count(redis_up == 1)") == 1


def test_the_scans_through_the_proxy_add_up_over_the_api_servers(cluster, world):
    prometheus = f"http://{cluster.members['prometheus'].address}"
    counted = 'sum(kiemdich_scans_total{result="accepted"})'
    time.sleep(3)  # a scrape (every 2 s here) of whatever came before
    before = query(prometheus, counted)
    with ScanLoad(cluster.base_url, world, rate=20) as load:
        time.sleep(4)
    accepted = len([a for a in load.answers if a.status == 201])
    assert accepted > 0
    deadline = time.monotonic() + 30
    while query(prometheus, counted) - before < accepted and time.monotonic() < deadline:
        time.sleep(1)
    assert query(prometheus, counted) - before == accepted
    # Both API servers answered some of them (HAProxy balances them).
    per_server = httpx.get(f"{prometheus}/api/v1/query", timeout=5, params={
        "query": 'sum by (instance) (kiemdich_scans_total{result="accepted"})'}).json()
    assert len(per_server["data"]["result"]) == cluster.app_servers
