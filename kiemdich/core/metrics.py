"""The figures operators watch, in Prometheus's exposition format (`GET /metrics`).

Every metric of the platform is declared here, once, with labels that carry no personal data:
route templates (never a path with an id), statuses, stable reason codes, methods, job names.

Across processes: granian and uvicorn run several worker processes, each with its own
counters. When `PROMETHEUS_MULTIPROC_DIR` is set (`deploy/serve-api` and the Makefile's
servers set it, one directory per server, emptied when the server starts), each process
writes its values to files there and `/metrics`, answered by whichever worker, adds up every
process's files — prometheus_client's multiprocess mode. Without it (the development server,
a management command) the process's own registry is exposed.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import REGISTRY, Collector

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# A `_created` series per counter doubles the exposition for a figure nobody alerts on.
disable_created_metrics()

# Seconds: a scan answers in a few milliseconds; the alert's threshold (100 ms) is a bucket.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "kiemdich_http_requests", "HTTP answers by route template, method and status.",
    ["route", "method", "status"])
HTTP_LATENCY = Histogram(
    "kiemdich_http_request_duration_seconds", "Time to answer, by route template and method.",
    ["route", "method"], buckets=LATENCY_BUCKETS)
SCANS = Counter(
    "kiemdich_scans", "Scans stored, accepted or refused, by refusal code and method.",
    ["result", "reason", "method"])
SCANS_BY_PROVINCE = Counter(
    "kiemdich_scans_accepted_by_province", "Accepted scans by the venue's top-level area code "
    "(the alert on a province whose gates fell silent).", ["province"])
CHECKINS = Counter(
    "kiemdich_checkins", "People checked in or out from a venue's poster.", ["direction"])
LIVE_SUBSCRIBERS = Gauge(
    "kiemdich_live_subscribers", "Open live-feed streams.", multiprocess_mode="livesum")
LIVE_EVENTS = Counter("kiemdich_live_events", "Events written to open live-feed streams.")
RATE_LIMITED = Counter(
    "kiemdich_rate_limit_refusals", "Requests refused by a rate limit, by limit.", ["limit"])
RATE_LIMIT_FALLBACKS = Counter(
    "kiemdich_rate_limit_fallbacks",
    "Rate-limit checks counted in the server process because Redis did not answer.")
SMS = Counter("kiemdich_sms", "SMS handed to the gateway, by result.", ["result"])
POOL_SIZE = Gauge("kiemdich_db_pool_connections",
                  "Database connections held by the processes' pools.",
                  multiprocess_mode="livesum")
POOL_IN_USE = Gauge("kiemdich_db_pool_connections_in_use",
                    "Pooled database connections lent to requests.",
                    multiprocess_mode="livesum")
POOL_WAITING = Gauge("kiemdich_db_pool_waiting", "Requests waiting for a pooled connection.",
                     multiprocess_mode="livesum")
POOL_WAITS = Counter("kiemdich_db_pool_waits",
                     "Requests that had to wait for a pooled connection.")
POOL_WAIT_SECONDS = Counter("kiemdich_db_pool_wait_seconds",
                            "Time requests spent waiting for a pooled connection.")
RETENTION_PURGED = Counter("kiemdich_retention_purged_rows",
                           "Rows removed by the retention purge, by kind.", ["kind"])
# Counted by the job worker's processes, answered by the worker itself (kiemdich/jobs/
# worker.py): a job runs on whichever worker took it, on whichever machine.
JOB_RUNS = Counter("kiemdich_job_runs", "Job runs by this worker, by job and result "
                   "(ok, failed, skipped: another run held the lease or did the period).",
                   ["job_name", "result"])
# Seconds: from the statistics of today (under a second) to the nightly purge (half an hour).
JOB_DURATION = Histogram("kiemdich_job_run_duration_seconds",
                         "Time a job's run took on this worker (runs that were skipped apart).",
                         ["job_name"], buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800))

# Figures of a state kept in the database (the signing key's age, the jobs' last runs), read
# when scraped by the process that answers, so every server tells the same: each reader
# returns metric families (`state_gauge`), registered by the app that owns the state.
StateReader = Callable[[], list[Metric]]
_STATE_READERS: list[StateReader] = []
_log = logging.getLogger(__name__)


def read_state_with(reader: StateReader) -> None:
    if reader not in _STATE_READERS:
        _STATE_READERS.append(reader)


def state_gauge(name: str, documentation: str,
                values: dict[tuple[str, ...], float] | float,
                labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    """A gauge of a state: one value, or one per tuple of label values."""
    if not isinstance(values, dict):
        return GaugeMetricFamily(name, documentation, value=values)
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label_values, value in values.items():
        family.add_metric(label_values, value)
    return family


class _StateCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        for reader in _STATE_READERS:
            try:
                families = reader()
            except Exception:
                # A scrape still answers the process's counters while the database is away.
                _log.warning("metrics: %s could not read its state", reader.__qualname__,
                             exc_info=True)
                continue
            yield from families


def _forget_dead_processes() -> None:
    """A worker replaced by granian leaves its files behind: its counters still count (they
    happened), but its live gauges (open streams, pool connections) must not."""
    for path in Path(MULTIPROC_DIR).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[-1])
        if not Path(f"/proc/{pid}").exists():
            multiprocess.mark_process_dead(pid, MULTIPROC_DIR)


def exposition() -> tuple[bytes, str]:
    """The whole exposition (every process of this server) and its content type, in the
    text format 0.0.4, which every Prometheus 2 reads."""
    if MULTIPROC_DIR:
        _forget_dead_processes()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
        registry.register(_StateCollector())
        return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4
    return generate_latest(REGISTRY), CONTENT_TYPE_PLAIN_0_0_4


if not MULTIPROC_DIR:
    REGISTRY.register(_StateCollector())


_POOL_SAMPLED_AT = [0.0]
_POOL_SAMPLE_SECONDS = 1.0
_POOL_TOTALS = {"requests_queued": 0, "requests_wait_ms": 0}


# The series of each (route, method, status) as first met: prometheus_client looks a child up
# under a lock and checks its label values at every `labels()` call.
_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Callable[[], None],
                                                  Callable[[float], None]]] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count an answer and its latency (HTTP_REQUESTS, HTTP_LATENCY)."""
    series = _REQUEST_SERIES.get((route, method, status))
    if series is None:
        series = _REQUEST_SERIES[(route, method, status)] = (
            HTTP_REQUESTS.labels(route, method, str(status)).inc,
            HTTP_LATENCY.labels(route, method).observe)
    count, observe = series
    count()
    observe(seconds)


def sample_pool() -> None:
    """Copy the process's connection pool figures into the gauges, at most once a second
    (called after requests; psycopg_pool's statistics take its lock)."""
    now = time.monotonic()
    if now - _POOL_SAMPLED_AT[0] < _POOL_SAMPLE_SECONDS:
        return
    _POOL_SAMPLED_AT[0] = now
    pool = getattr(connection, "pool", None)
    if pool is None:
        return
    stats = pool.get_stats()
    size, available = stats.get("pool_size", 0), stats.get("pool_available", 0)
    POOL_SIZE.set(size)
    POOL_IN_USE.set(size - available)
    POOL_WAITING.set(stats.get("requests_waiting", 0))
    # The pool's own counters are totals since it started; the metric counts the increase.
    for key, metric, scale in (("requests_queued", POOL_WAITS, 1),
                               ("requests_wait_ms", POOL_WAIT_SECONDS, 1000)):
        total = stats.get(key, 0)
        if total > _POOL_TOTALS[key]:
            metric.inc((total - _POOL_TOTALS[key]) / scale)
            _POOL_TOTALS[key] = total


@dataclass(frozen=True)
class Figures:
    """The core figures of this server since it started, for a site without Prometheus."""

    requests: int
    server_errors: int
    scans_accepted: int
    scans_refused: int
    refusals: list[tuple[str, int]]  # (reason code, count), most frequent first
    scan_p99_ms: int | None  # the upper bound of the bucket that holds it
    checkins: int
    live_subscribers: int
    sms_sent: int
    sms_failed: int
    rate_limited: int
    pool_in_use: int
    pool_waiting: int


def _quantile(buckets: dict[float, float], q: float) -> float | None:
    """The upper bound of the histogram bucket holding the q-th quantile."""
    total = buckets.get(math.inf, 0)
    if not total:
        return None
    for bound in sorted(buckets):
        if buckets[bound] >= q * total:
            return bound
    return None


def _bound_ms(seconds: float | None) -> int | None:
    return None if seconds is None or math.isinf(seconds) else round(seconds * 1000)


def figures() -> Figures:
    sums: dict[str, float] = defaultdict(float)
    refusals: dict[str, float] = defaultdict(float)
    scan_buckets: dict[float, float] = defaultdict(float)
    for family in text_string_to_metric_families(exposition()[0].decode()):
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if name == "kiemdich_http_requests_total":
                sums["requests"] += value
                if labels["status"].startswith("5"):
                    sums["server_errors"] += value
                if labels["status"] == "429":
                    sums["rate_limited"] += value
            elif name == "kiemdich_scans_total":
                sums[f"scans_{labels['result']}"] += value
                if labels["result"] == "refused":
                    refusals[labels["reason"]] += value
            elif (name == "kiemdich_http_request_duration_seconds_bucket"
                  and labels["method"] == "POST" and "/scans" in labels["route"]):
                scan_buckets[float(labels["le"])] += value
            elif name == "kiemdich_sms_total":
                sums[f"sms_{labels['result']}"] += value
            elif name in ("kiemdich_checkins_total", "kiemdich_live_subscribers",
                          "kiemdich_db_pool_connections_in_use", "kiemdich_db_pool_waiting"):
                sums[name] += value
    return Figures(
        requests=int(sums["requests"]), server_errors=int(sums["server_errors"]),
        scans_accepted=int(sums["scans_accepted"]), scans_refused=int(sums["scans_refused"]),
        refusals=sorted(((code, int(n)) for code, n in refusals.items()),
                        key=lambda item: -item[1]),
        scan_p99_ms=_bound_ms(_quantile(scan_buckets, 0.99)),
        checkins=int(sums["kiemdich_checkins_total"]),
        live_subscribers=int(sums["kiemdich_live_subscribers"]),
        sms_sent=int(sums["sms_sent"]), sms_failed=int(sums["sms_failed"]),
        rate_limited=int(sums["rate_limited"]),
        pool_in_use=int(sums["kiemdich_db_pool_connections_in_use"]),
        pool_waiting=int(sums["kiemdich_db_pool_waiting"]))
