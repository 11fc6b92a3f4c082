"""The cluster through the failures that happen, under a steady load of reader scans through
its public entry (HAProxy → two API servers → HAProxy → the Patroni leader), each scan with
a fresh nonce and every answer kept by the client. In turn:

1. `kill -9` of one API server: HAProxy routes around it; no request fails.
2. The standby lost: the async replica becomes the synchronous standby and writes go on;
   then that one lost too: writes still go on, on the leader alone — what `synchronous_mode`
   (not strict) trades: availability over the second copy. `synchronous_mode_strict` would
   refuse them instead.
3. `kill -9` of the leader's PostgreSQL and its Patroni: the synchronous standby takes over;
   what failed meanwhile was answered 503 with Retry-After, never left hanging; resent with
   its nonce, it is stored once.
   Brought back, it rewinds what it alone wrote (pg_rewind) and follows the new leader,
   holding exactly what the new leader holds.

After each: every acknowledged scan is in the database exactly once. One line per scenario:
acknowledged, lost, duplicated, seconds without service (the longest time between two
acknowledged scans, as a gate saw it). Figures are printed, not asserted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter

import httpx

from tests.faults.harness import Answer, ScanLoad, report
from tools.cluster import Cluster, Member, wait_for

ACKNOWLEDGED = (200, 201)


def kill_tree(pid: int | None) -> None:
    """SIGKILL to a process and its children, as when its machine dies."""
    assert pid, "no such process"
    subprocess.run(["pkill", "-KILL", "-P", str(pid)], check=False)
    os.kill(pid, signal.SIGKILL)


def kill_database_member(cluster: Cluster, member: Member) -> None:
    """`kill -9` of Patroni first (it would start PostgreSQL again), then of PostgreSQL."""
    postmaster = cluster.postmaster_pid(member)
    kill_tree(member.patroni_pid)
    kill_tree(postmaster)


def roles(cluster: Cluster) -> dict[str, str]:
    return {m["name"]: m["role"] for m in cluster.patroni_cluster()
            if m["state"] in ("running", "streaming")}


RESEND_SECONDS = 90  # a reader keeps trying longer; the test gives up on a cluster that died


def resend_unanswered(load: ScanLoad) -> list[Answer]:
    """What a reader does with a scan that got no acknowledgement: sends it again, with its
    nonce, and again after the answer's Retry-After while the cluster answers 503 (or not at
    all: a second or so) — after a failover the new leader may still be settling in."""
    unanswered = [a for a in load.answers if a.status not in ACKNOWLEDGED]
    deadline = time.monotonic() + RESEND_SECONDS
    resent = []
    with httpx.Client(timeout=10) as client:
        for first in unanswered:
            answer = load.scan(client, first.code, first.nonce)
            while answer.status in (0, 503) and time.monotonic() < deadline:
                time.sleep(float(answer.retry_after or 1))
                answer = load.scan(client, first.code, first.nonce)
            resent.append(answer)
    return resent


def settle(cluster: Cluster, name: str, load: ScanLoad, resent: list[Answer] = ()) -> dict:
    """Compare what the client was told with what the leader holds; print the line."""
    stored = Counter(cluster.psql(
        "SELECT nonce FROM scans_scan WHERE nonce IS NOT NULL").split())
    acknowledged = {a.nonce for a in [*load.answers, *resent] if a.status in ACKNOWLEDGED}
    figures = {
        "acknowledged": len(acknowledged),
        "lost": sum(1 for n in acknowledged if stored[n] == 0),
        "duplicated": sum(1 for count in stored.values() if count > 1),
        "seconds_without_service": round(load.longest_gap(), 2),
        "answers": dict(sorted(load.statuses().items())),
        "resent": len(resent),
    }
    report(name, **figures)
    return figures


def by_status(answers: list[Answer]) -> dict:
    return dict(sorted(Counter(a.status for a in answers).items()))


def test_an_api_server_killed_is_routed_around(cluster, world):
    with ScanLoad(cluster.base_url, world, rate=30) as load:
        time.sleep(3)
        kill_tree(cluster.members["api1"].pid)
        time.sleep(4)
        cluster.start("api1")
        wait_for(lambda: "api1" in cluster.routed("api"), "api1 back behind HAProxy")
        time.sleep(2)
    unanswered = [a for a in load.answers if a.status not in ACKNOWLEDGED]
    resent = resend_unanswered(load)
    figures = settle(cluster, "api server killed", load, resent)
    report("api server killed", unanswered=Counter(a.error for a in unanswered))

    assert figures["lost"] == figures["duplicated"] == 0
    # A request that met the dead server before HAProxy marked it down was sent to the
    # other one; only one the server was answering when it died may go without an answer
    # (HAProxy cannot tell whether it was carried out), and the reader sends it again.
    assert {a.status for a in unanswered} <= {0}, by_status(unanswered)
    assert {a.status for a in resent} <= set(ACKNOWLEDGED), by_status(resent)


def test_standby_lost_writes_go_on_first_with_the_replica_then_on_the_leader_alone(
        cluster, world):
    before = roles(cluster)
    standby = next(name for name, role in before.items() if role == "sync_standby")
    replica = next(name for name, role in before.items() if role == "replica")
    with ScanLoad(cluster.base_url, world, rate=30) as load:
        time.sleep(3)
        kill_database_member(cluster, cluster.members[standby])
        wait_for(lambda: roles(cluster).get(replica) == "sync_standby",
                 "the replica as the synchronous standby", seconds=60)
        replica_took_over = time.monotonic()
        time.sleep(3)
        kill_database_member(cluster, cluster.members[replica])
        wait_for(lambda: cluster.psql("SHOW synchronous_standby_names") == "",
                 "the leader without a synchronous standby", seconds=60)
        alone = time.monotonic()
        time.sleep(3)
        copies = cluster.psql("SELECT count(*) FROM pg_stat_replication")
    on_two = [a for a in load.answers if replica_took_over <= a.at < alone]
    on_one = [a for a in load.answers if a.at >= alone]
    report("standby lost", with_the_replica=by_status(on_two), leader_alone=by_status(on_one))
    figures = settle(cluster, "standby lost", load)
    for name in (standby, replica):
        cluster.start(name)
    wait_for(cluster.healthy_database, "both replicas back", seconds=120)

    assert figures["lost"] == figures["duplicated"] == 0
    # Writes went on with the replica as the synchronous standby, then with no standby at
    # all: acknowledged while only the leader held them (the trade of synchronous_mode).
    assert on_two and {a.status for a in on_two} == {201}
    assert copies == "0"
    assert on_one and {a.status for a in on_one} == {201}


def test_leader_killed_the_standby_takes_over_and_nothing_acknowledged_is_lost(
        cluster, world):
    before = roles(cluster)
    leader = next(name for name, role in before.items() if role == "leader")
    standby = next(name for name, role in before.items() if role == "sync_standby")
    with ScanLoad(cluster.base_url, world, rate=30, timeout=10) as load:
        time.sleep(3)
        kill_database_member(cluster, cluster.members[leader])
        killed = time.monotonic()
        wait_for(lambda: roles(cluster).get(standby) == "leader", "the standby promoted",
                 seconds=60)
        wait_for(lambda: any(a.status == 201 and a.at > killed for a in load.answers),
                 "a scan acknowledged by the new leader", seconds=30)
        time.sleep(3)
    during = [a for a in load.answers if a.status not in ACKNOWLEDGED]
    resent = resend_unanswered(load)
    figures = settle(cluster, "leader killed", load, resent)

    log = cluster.logs / f"{leader}.log"
    rewinds = log.read_text().count("running pg_rewind")
    cluster.start(leader)
    wait_for(cluster.healthy_database, "the old leader back", seconds=120)
    after = roles(cluster)
    old_leader = cluster.members[leader].address
    count = "SELECT count(*), count(DISTINCT nonce) FROM scans_scan"
    wait_for(lambda: cluster.psql(count, address=old_leader) == cluster.psql(count),
             "the old leader caught up")
    report("leader killed", old_leader_rejoined_as=after[leader],
           rewound=log.read_text().count("running pg_rewind") > rewinds)

    assert figures["lost"] == figures["duplicated"] == 0
    # The scans the failover interrupted were answered at once: 503 unavailable with
    # Retry-After (the reader's cue to send them again), never a hang or a server error.
    assert during and {a.status for a in during} == {503}, by_status(during)
    assert {a.body["error"]["code"] for a in during} == {"unavailable"}
    assert {a.status for a in resent} <= set(ACKNOWLEDGED), by_status(resent)
    assert after[standby] == "leader" and after[leader] in ("sync_standby", "replica")
