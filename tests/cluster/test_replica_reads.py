"""Reads where they belong, on the cluster: with DATABASE_REPLICA_URL on HAProxy's read
port, the dashboard, coverage and tracing pages and GET /api/v1/stats read from a replica
and say how fresh their data is (the pages in words, the API in `replica_lag_seconds`);
once the user wrote something, they read from the leader (read your writes) and say
nothing about freshness."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.faults.harness import report
from tools.cluster import ROOT


def test_pages_read_from_the_replica_and_the_writer_reads_from_the_leader(cluster, world):
    env = {**cluster.process_env(), "DATABASE_REPLICA_URL": cluster.replica_url}
    done = subprocess.run([sys.executable, "-m", "tests.cluster.replica_probe"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    report("replica reads", **{r["path"]: r["freshness"] for r in probe["reads"]})

    *pages, api = probe["reads"]
    for read in probe["reads"]:
        assert read["status"] == 200, read
        assert read["replica_queries"] > 0, read
    for read in pages:
        assert read["freshness"].startswith("Dữ liệu đọc từ máy chủ bản sao"), read
    assert isinstance(api["freshness"], float) and api["freshness"] >= 0, api
    assert probe["write_status"] == 302
    for after in probe["after_write"]:
        assert (after["status"], after["replica_queries"], after["freshness"]) == \
            (200, 0, None), after
        assert after["leader_queries"] > 0, after
