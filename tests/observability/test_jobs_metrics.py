"""The jobs as /metrics tells them (read from the database, the same on every server): the
last success and failure of each periodic job, its period, the queue; and a job's log lines
carrying the id of the request that queued it."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from kiemdich.core.observability import RequestIdFilter
from kiemdich.jobs import runner
from kiemdich.jobs.models import JobRun

pytestmark = pytest.mark.django_db


def job_samples() -> dict[tuple[str, str], float]:
    text = Client().get("/metrics").content.decode()
    return {(sample.name, sample.labels.get("job_name", "")): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples
            if sample.name.startswith("kiemdich_job_")}


def test_a_failed_run_shows_until_a_run_succeeds():
    started = timezone.now() - timedelta(minutes=3)
    JobRun.objects.create(name="stats.today", started_at=started, status=JobRun.Status.FAILED,
                          finished_at=started + timedelta(seconds=4), trigger="schedule",
                          error="boom")
    before = job_samples()
    assert before[("kiemdich_job_last_run_failed", "stats.today")] == 1
    assert before[("kiemdich_job_last_success_timestamp_seconds", "stats.today")] == 0
    assert before[("kiemdich_job_last_duration_seconds", "stats.today")] == 4
    assert before[("kiemdich_job_last_run_failed", "privacy.purge")] == 0

    call_command("run_job", "stats.today", stdout=StringIO())
    after = job_samples()
    assert after[("kiemdich_job_last_run_failed", "stats.today")] == 0
    succeeded = after[("kiemdich_job_last_success_timestamp_seconds", "stats.today")]
    assert abs(succeeded - timezone.now().timestamp()) < 60


def test_each_periodic_job_has_its_period_and_the_queue_its_depth():
    samples = job_samples()
    assert samples[("kiemdich_job_period_seconds", "stats.today")] == 20
    assert samples[("kiemdich_job_period_seconds", "privacy.purge")] == 3600
    assert samples[("kiemdich_job_period_seconds", "audit.verify")] == 86400
    assert samples[("kiemdich_job_queue_depth", "")] == 0
    assert samples[("kiemdich_job_failed_tasks", "")] == 0


def test_a_jobs_log_lines_carry_the_request_id_that_queued_it(caplog):
    caplog.handler.addFilter(RequestIdFilter())
    # Another run holds the job: this one logs that it skips, under the request's id.
    assert runner.acquire("stats.today", "another-worker", timedelta(minutes=5))
    with caplog.at_level(logging.INFO, logger="kiemdich.jobs"):
        runner.execute("stats.today", request_id="gate-7-0123456789")
        runner.execute("stats.today")
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped[0].request_id == "gate-7-0123456789"
    assert skipped[1].request_id.startswith("job-")
