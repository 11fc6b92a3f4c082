"""One cluster (tools/cluster.py: the topology of deploy/cluster/) for the whole of
tests/cluster/, started fresh under var/cluster-test/ on the first free hundred ports from
17100 (beside `make cluster` on 17000, and beside another checkout's run), and a small world
in its database. The tests break it in turn and leave it whole again."""

from __future__ import annotations

import shutil

import pytest

from tests.faults.harness import build_world
from tools.cluster import ROOT, Cluster, free_port_base


@pytest.fixture(scope="session")
def cluster():
    directory = ROOT / "var" / "cluster-test"
    Cluster(directory).down()  # what an interrupted run of this checkout left running
    shutil.rmtree(directory, ignore_errors=True)
    # The load sends every scan through one reader: its rate limit (5 a second, a gate's
    # pace) would refuse most of them. A job worker killed mid-run leaves its job's lease
    # for the job's timeout: short jobs here, as in tests/jobs/.
    cluster = Cluster(directory, free_port_base(), app_settings={
        "SCAN_RATE_PER_MINUTE": "100000", "JOB_TIMEOUT": "15", "JOB_RETRY": "30"})
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.down()


@pytest.fixture(scope="session")
def world(cluster):
    return build_world(cluster.process_env())
