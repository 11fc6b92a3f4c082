"""The job worker's own metrics, from a real `manage.py run_worker` (two processes taking
jobs, kiemdich/jobs/worker.py answering for them): a job run on the queue moves its run
counter, its duration histogram and the rows the retention purge counted, as Prometheus's
parser reads them; the queue's depth is there; the endpoint is protected as /metrics."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.harness import ROOT, server_env
from tests.jobs.harness import Worker, job_database, wait_for
from tests.scans.servers import free_port

TOKEN = "worker-metrics-token-for-the-test-0123456789"


@pytest.fixture
def worker_env(tmp_path):
    with job_database(tmp_path) as url:
        (tmp_path / "metrics").mkdir()
        env = server_env(url, tmp_path, METRICS_TOKEN=TOKEN, JOB_METRICS_PORT=str(free_port()),
                         PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
        yield env


def worker_probe(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "tests.observability.worker_probe", *args], cwd=ROOT,
                   env=env, check=True, capture_output=True, timeout=120)


def scrape(env: dict[str, str], **headers: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{env['JOB_METRICS_PORT']}/metrics", headers=headers,
                     timeout=10)


def samples(env: dict[str, str]) -> dict[tuple[str, tuple], float]:
    """Every sample by name and labels (the `le` of a bucket among them), 0 when absent."""
    answer = scrape(env)
    assert answer.status_code == 200, answer.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def answering(env: dict[str, str]) -> bool:
    try:
        return scrape(env).status_code == 200
    except httpx.TransportError:
        return False


def purge_runs(figures: dict[tuple[str, tuple], float]) -> dict[str, float]:
    """The purge's runs counted, by result (ok, failed, skipped)."""
    return {dict(labels)["result"]: value for (name, labels), value in figures.items()
            if name == "kiemdich_job_runs_total" and dict(labels)["job_name"] == "privacy.purge"}


def test_a_job_run_by_the_worker_moves_its_counters(worker_env):
    env = worker_env
    purge_ok = ("kiemdich_job_runs_total", (("job_name", "privacy.purge"), ("result", "ok")))
    purge_count = ("kiemdich_job_run_duration_seconds_count", (("job_name", "privacy.purge"),))
    tokens_purged = ("kiemdich_retention_purged_rows_total", (("kind", "api_tokens"),))
    worker_probe(env, "expired-token")
    # The schedules written and their next runs moved a day away before the worker starts
    # (its start keeps them), no periodic job runs on its own during the test: the purge's
    # cron falling within it counted a run before the test's, the audit anchor's (every 5
    # minutes) left a job on the queue.
    worker_probe(env, "unschedule")
    with Worker(env) as worker:
        wait_for(lambda: answering(env), 60, (worker,), "the worker's metrics")
        before = samples(env)
        worker_probe(env, "enqueue", "privacy.purge")
        wait_for(lambda: purge_runs(samples(env)), 120, (worker,), "privacy.purge counted")
        after = samples(env)

    assert before.get(purge_ok, 0) == 0
    assert purge_runs(after) == {"ok": 1}, worker.output()
    assert after[purge_ok] == after[purge_count] == 1
    assert after[("kiemdich_job_run_duration_seconds_bucket",
                  (("job_name", "privacy.purge"), ("le", "+Inf")))] == 1
    assert after[tokens_purged] == 1
    assert after[("kiemdich_job_queue_depth", ())] == 0


def test_the_worker_answers_its_metrics_only_to_its_networks_or_with_the_token(worker_env):
    env = worker_env
    with Worker(env) as worker:
        wait_for(lambda: answering(env), 60, (worker,), "the worker's metrics")
        relayed = scrape(env, **{"X-Forwarded-For": "203.0.113.9"})
        wrong = scrape(env, **{"X-Forwarded-For": "203.0.113.9",
                               "Authorization": "Bearer not-the-token"})
        with_token = scrape(env, **{"X-Forwarded-For": "203.0.113.9",
                                    "Authorization": f"Bearer {TOKEN}"})
        elsewhere = httpx.get(f"http://127.0.0.1:{env['JOB_METRICS_PORT']}/", timeout=10)
    assert (relayed.status_code, wrong.status_code, with_token.status_code) == (403, 403, 200)
    assert "kiemdich_job_queue_depth" in with_token.text
    assert elsewhere.status_code == 404


def test_the_worker_refuses_a_metrics_port_without_a_metrics_directory(worker_env):
    env = {k: v for k, v in worker_env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run([sys.executable, "manage.py", "run_worker"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "JOB_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR" in done.stderr
