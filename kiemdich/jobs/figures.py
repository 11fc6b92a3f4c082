"""The jobs' state for /metrics, read from the database by whichever server is scraped, so
every server tells the same and no job worker needs to be scraped: when each periodic job
last succeeded, whether its last run failed, how long it took, its period, the queue's depth
and the failed tasks waiting for a retry."""

from __future__ import annotations

from datetime import datetime

from croniter import croniter
from django.db.models import Max
from django.utils import timezone
from django_q.models import Failure, OrmQ

from kiemdich.core.metrics import Metric, state_gauge
from kiemdich.jobs import registry
from kiemdich.jobs.models import JobRun

LABELS = ("job_name",)


def period_seconds(cron: str) -> float:
    """The time between two runs of a cron expression (the shortest, from now)."""
    runs = croniter(cron, timezone.localtime())
    first = runs.get_next(datetime)
    return (runs.get_next(datetime) - first).total_seconds()


def job_figures() -> list[Metric]:
    periodic = sorted(name for name, spec in registry.JOBS.items() if spec.periodic)
    succeeded = dict(JobRun.objects.filter(status=JobRun.Status.OK)
                     .values_list("name").annotate(Max("finished_at")))
    last_runs = {name: JobRun.objects.filter(name=name).exclude(status=JobRun.Status.RUNNING)
                 .order_by("-started_at").first() for name in periodic}
    return [
        state_gauge("kiemdich_job_last_success_timestamp_seconds",
                    "When each periodic job last succeeded (0: never).",
                    {(name,): succeeded[name].timestamp() if succeeded.get(name) else 0.0
                     for name in periodic}, LABELS),
        state_gauge("kiemdich_job_last_run_failed", "1 when the last run of a job failed.",
                    {(name,): float(run is not None and run.status == JobRun.Status.FAILED)
                     for name, run in last_runs.items()}, LABELS),
        state_gauge("kiemdich_job_last_duration_seconds", "How long the last run of a job took.",
                    {(name,): run.duration or 0.0 for name, run in last_runs.items()
                     if run is not None}, LABELS),
        state_gauge("kiemdich_job_period_seconds", "The time between two runs of a job.",
                    {(name,): period_seconds(registry.JOBS[name].schedule) for name in periodic},
                    LABELS),
        state_gauge("kiemdich_job_queue_depth", "Tasks waiting for a worker.",
                    float(OrmQ.objects.count())),
        state_gauge("kiemdich_job_failed_tasks", "Failed tasks kept for a retry.",
                    float(Failure.objects.count())),
    ]
