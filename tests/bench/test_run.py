"""`make bench`'s own measurements at a tiny size, so they never rot: tracing of generated
cases, the dashboard through a live server, and the table's verdicts (no timings asserted)."""

from __future__ import annotations

from io import StringIO

import pytest

from bench import generate, run
from bench.loadgen import Plan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def population(areas):
    generate.population(Plan(people=200, venues=10, days=3, scans_per_person_day=2), StringIO())


def test_tracing_traces_generated_people_before_today(population):
    figures = run.bench_tracing(cases=3, runs=2)
    for kind in ("busiest", "typical"):
        traced = figures[kind]
        assert traced["cases"] >= 1 and traced["runs"] == 2 * traced["cases"]
        assert 0 < traced["p50_ms"] <= traced["p95_ms"] <= traced["max_ms"]
        assert traced["f0_visits_median"] >= 1
    # The busiest are the people with the most visits in the window.
    assert figures["busiest"]["f0_visits_median"] >= figures["typical"]["f0_visits_median"]


def test_the_dashboard_is_measured_through_the_server(population, live_server):
    figures = run.bench_dashboard(live_server.url, days=3, runs=2)
    assert set(figures) == {"1 day", "3 days"}
    assert all(0 < f["p50_ms"] <= f["p95_ms"] for f in figures.values())


def _report(scans_per_second: float, tracing_ms: float, dashboard_ms: float) -> dict:
    phase = {"rate": 500.0, "accepted": 7500, "accepted_per_second": 500.0, "p99_ms": 60.0,
             "committed": 7500}
    load = {"sustained_per_second": scans_per_second, "peak_per_second": scans_per_second,
            "phases": [phase], "statements_per_request": 5, "peak_worker_rss_mb": 120.0}
    traced = {"p95_ms": tracing_ms, "contacts_median": 800}
    return {"noop": {"sustained_per_second": 4000, "peak_per_second": 4000},
            "pgbench": {"tps": 4400}, "scan": load, "checkin": dict(load),
            "tracing": {"typical": traced}, "dashboard": {"1 day": {"p95_ms": dashboard_ms}}}


def test_the_table_says_which_targets_are_met():
    def verdicts(report: dict) -> dict[str, str]:
        return {label.split(" (")[0].split(",")[0]: verdict
                for label, _value, _target, verdict in run.table(report)}

    missed = verdicts(_report(scans_per_second=700, tracing_ms=380, dashboard_ms=45))
    assert missed["scans/s sustained"] == "MISSED"
    assert missed["tracing p95"] == "MISSED"
    assert missed["dashboard p95"] == "ok"
    assert missed["every 2xx committed"] == "ok"
    met = verdicts(_report(scans_per_second=2100, tracing_ms=30, dashboard_ms=60))
    assert met["scans/s sustained"] == "ok" and met["tracing p95"] == "ok"
    assert met["dashboard p95"] == "MISSED"
