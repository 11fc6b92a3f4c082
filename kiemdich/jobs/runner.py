"""Running a job: what the worker calls for every task, and `run_job` for a run by hand.

A periodic job runs only while it holds its lease (one row of JobLease, taken with one
conditional UPDATE on the database's clock, so workers on machines with skewed clocks agree),
and each run is recorded in JobRun for the jobs page.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models.functions import Now
from django.utils import timezone

from kiemdich.core import metrics
from kiemdich.core.observability import carrying_request_id
from kiemdich.jobs import registry
from kiemdich.jobs.models import JobLease, JobRun

logger = logging.getLogger(__name__)

# Runs kept on the jobs page, per job.
RUNS_KEPT_DAYS = 14
# What a periodic run that did nothing returns (its reason follows).
SKIPPED = "skipped: "


def execute(name: str, *args: Any, scheduled_for: str | None = None, request_id: str = "",
            **kwargs: Any) -> Any:
    """The queue's entry point for every job (registry.RUNNER). Its log lines carry the id
    of the request that queued it, or one of its own."""
    spec = registry.get(name)
    with carrying_request_id(request_id or f"job-{uuid.uuid4().hex[:16]}"):
        started = time.monotonic()
        try:
            if not spec.periodic:
                result = spec.func(*args, **kwargs)
            else:
                result = run_periodic(spec, trigger="schedule" if scheduled_for else "queue",
                                      scheduled_for=datetime.fromisoformat(scheduled_for)
                                      if scheduled_for else None)
        except Exception:
            _count(name, "failed", started)
            raise
        skipped = spec.periodic and result.startswith(SKIPPED)
        _count(name, "skipped" if skipped else "ok", None if skipped else started)
        return result


def _count(name: str, result: str, started: float | None) -> None:
    """The worker's own figures (kiemdich/jobs/worker.py answers them): a skipped run took
    no time of the job's."""
    metrics.JOB_RUNS.labels(name, result).inc()
    if started is not None:
        metrics.JOB_DURATION.labels(name).observe(time.monotonic() - started)


def acquire(name: str, holder: str, hold: timedelta) -> bool:
    # A new lease is born expired by a second: the database's clock (Now(), milliseconds on
    # SQLite) could otherwise still read the instant it was made as earlier, and the first
    # run of a job would skip itself.
    JobLease.objects.get_or_create(
        name=name, defaults={"expires_at": timezone.now() - timedelta(seconds=1)})
    return JobLease.objects.filter(name=name, expires_at__lte=Now()).update(
        holder=holder, expires_at=Now() + hold) == 1


def release(name: str, holder: str) -> None:
    JobLease.objects.filter(name=name, holder=holder).update(holder="", expires_at=Now())


def run_periodic(spec: registry.Job, trigger: str,
                 scheduled_for: datetime | None = None) -> str:
    """Run a periodic job now unless another run holds it or its period was done already.
    A failure is recorded and raised again, so the queue lists it with its error."""
    if scheduled_for is not None and JobRun.objects.filter(
            name=spec.name, scheduled_for=scheduled_for, status=JobRun.Status.OK).exists():
        return f"{SKIPPED}this period was run already"
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not acquire(spec.name, holder, timedelta(seconds=spec.timeout + settings.JOB_LEASE_MARGIN)):
        logger.info("job %s: skipped, another run holds its lease", spec.name)
        return f"{SKIPPED}another run holds the lease"
    try:
        now = timezone.now()
        # We hold the lease, so a run still marked running was cut short (its worker died).
        JobRun.objects.filter(name=spec.name, status=JobRun.Status.RUNNING).update(
            status=JobRun.Status.FAILED, finished_at=now,
            error="interrupted: its worker stopped during the run")
        JobRun.objects.filter(name=spec.name,
                              started_at__lt=now - timedelta(days=RUNS_KEPT_DAYS)).delete()
        run = JobRun.objects.create(name=spec.name, started_at=now, trigger=trigger,
                                    scheduled_for=scheduled_for)
        try:
            result = spec.func()
        except Exception:
            run.status, run.error = JobRun.Status.FAILED, traceback.format_exc()[-4000:]
            raise
        else:
            run.status, run.result = JobRun.Status.OK, str(result or "")[:2000]
        finally:
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "result", "error", "finished_at"])
        return run.result
    finally:
        release(spec.name, holder)
