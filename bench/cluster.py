"""Reader scans per second through the cluster's public entry (HAProxy, two API servers,
PostgreSQL under Patroni with a synchronous standby and an async replica, two job workers,
Prometheus scraping every member), against one box (one API server with as many workers,
a job worker, one PostgreSQL and one Redis of its own) in the same run, and the replicas'
lag under that load.

    .venv/bin/python bench/cluster.py [--seconds 20] [--threads 16]

Starts its own cluster (tools/cluster.py, the first free hundred ports from 17200,
var/cluster-bench/) and its own
PostgreSQL for the single box; stops both. Both run on this one machine, so the cluster's
figure shows what replication and the extra hop cost here, not what more machines add.
Prints a table and writes bench/results/cluster-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults.harness import (  # noqa: E402
    ApiServer,
    ScanLoad,
    build_world,
    own_postgres,
    own_redis,
    server_env,
)
from tests.jobs.harness import Worker  # noqa: E402
from tools.cluster import Cluster, free_port_base  # noqa: E402

# The load sends every scan through one reader, far above a gate's pace.
UNLIMITED = {"SCAN_RATE_PER_MINUTE": "10000000"}
# The keys a server refuses to start without (the cluster makes its own).
SINGLE_BOX_KEYS = {"KEY_ENCRYPTION_KEY": "bench-key-encryption-key-not-for-production-01",
                   "AUDIT_KEY": "bench-audit-key-not-for-production-0123456789"}


def throughput(base_url: str, world, seconds: float, threads: int) -> dict:
    """Scans acknowledged per second by `threads` readers sending as fast as answered."""
    with ScanLoad(base_url, world, rate=10_000, threads=threads) as load:
        time.sleep(1)  # warm: connections open, statements prepared
        start, acked_before = time.monotonic(), len(load.acknowledged())
        time.sleep(seconds)
        acked = len(load.acknowledged()) - acked_before
        elapsed = time.monotonic() - start
    latencies = sorted(a.seconds for a in load.acknowledged())
    return {"scans_per_second": round(acked / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
            "statuses": {str(k): v for k, v in sorted(load.statuses().items())}}


class LagSampler:
    """The replicas' replay lag as the leader reports it (pg_stat_replication), twice a
    second, while the load runs."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster, self.samples = cluster, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            rows = self.cluster.psql(
                "SELECT application_name, sync_state, COALESCE(EXTRACT(EPOCH FROM "
                "replay_lag), 0), pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) "
                "FROM pg_stat_replication")
            for row in rows.splitlines():
                name, state, seconds, behind = row.split("|")
                self.samples.append((name, state, float(seconds), int(float(behind))))

    def __enter__(self) -> LagSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def summary(self) -> dict:
        out = {}
        for state in sorted({s[1] for s in self.samples}):
            seconds = [s[2] for s in self.samples if s[1] == state]
            behind = [s[3] for s in self.samples if s[1] == state]
            out[state] = {"max_seconds": round(max(seconds), 3),
                          "mean_seconds": round(sum(seconds) / len(seconds), 3),
                          "max_bytes_behind": max(behind)}
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    results: dict = {"seconds": args.seconds, "threads": args.threads}

    with own_postgres() as pg, own_redis() as redis:
        data = Path(ROOT / "var" / "bench-single")
        # As the cluster's servers: rate limits and the live feed on a Redis.
        env = server_env(pg.create_database("kd"), data, REDIS_URL=redis.url,
                         PUBSUB_BACKEND="redis", **SINGLE_BOX_KEYS, **UNLIMITED)
        world = build_world(env)
        # Two workers: the cluster's two API servers have one each. A job worker beside it,
        # as beside each of them (the statistics of today every 20 s).
        with ApiServer(env, workers=2, threads=4) as server, Worker(env):
            results["single_box"] = throughput(server.url, world, args.seconds, args.threads)
        shutil.rmtree(data, ignore_errors=True)

    directory = ROOT / "var" / "cluster-bench"
    Cluster(directory).down()
    shutil.rmtree(directory, ignore_errors=True)
    cluster = Cluster(directory, free_port_base(17200), app_settings=UNLIMITED)
    try:
        cluster.up()
        world = build_world(cluster.process_env())
        with LagSampler(cluster) as lag:
            results["cluster"] = throughput(cluster.base_url, world, args.seconds,
                                            args.threads)
        results["replica_lag"] = lag.summary()
    finally:
        cluster.down()
        shutil.rmtree(directory, ignore_errors=True)

    print(f"{'':12} {'scans/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for name in ("single_box", "cluster"):
        r = results[name]
        print(f"{name:12} {r['scans_per_second']:>8} {r['p50_ms']:>7} {r['p99_ms']:>7}")
    for state, lag_figures in results["replica_lag"].items():
        print(f"replica lag ({state}): max {lag_figures['max_seconds']} s, mean "
              f"{lag_figures['mean_seconds']} s, at most {lag_figures['max_bytes_behind']} "
              "bytes behind")
    out = ROOT / "bench" / "results" / f"cluster-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
