"""One cluster (tools/cluster.py: the topology of deploy/cluster/) for the whole of
tests/cluster/, started fresh under var/cluster-test/ on ports 17100–17199, and a small world
in its database. The tests break it in turn and leave it whole again."""

from __future__ import annotations

import shutil

import pytest

from tests.faults.harness import build_world
from tools.cluster import ROOT, Cluster

PORT_BASE = 17100


@pytest.fixture(scope="session")
def cluster():
    directory = ROOT / "var" / "cluster-test"
    stale = Cluster(directory, PORT_BASE)
    stale.down()  # what an interrupted run left running
    shutil.rmtree(directory, ignore_errors=True)
    # The load sends every scan through one reader: its rate limit (5 a second, a gate's
    # pace) would refuse most of them.
    cluster = Cluster(directory, PORT_BASE, app_settings={"SCAN_RATE_PER_MINUTE": "100000"})
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.down()


@pytest.fixture(scope="session")
def world(cluster):
    return build_world(cluster.process_env())
