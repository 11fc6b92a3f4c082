"""What the jobs page shows and does: the schedule with each job's last run, the failed runs,
and retrying one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django_q.models import Failure, OrmQ, Schedule

from kiemdich.core.errors import NotFound
from kiemdich.jobs import registry
from kiemdich.jobs.models import JobRun


@dataclass
class ScheduledJob:
    spec: registry.Job
    next_run: datetime | None
    last: JobRun | None


def scheduled() -> list[ScheduledJob]:
    next_runs = dict(Schedule.objects.filter(func=registry.RUNNER)
                     .values_list("name", "next_run"))
    rows = []
    for spec in sorted((s for s in registry.JOBS.values() if s.periodic), key=lambda s: s.name):
        last = JobRun.objects.filter(name=spec.name).order_by("-started_at").first()
        rows.append(ScheduledJob(spec, next_runs.get(spec.name), last))
    return rows


def failed(limit: int = 50) -> list:
    """The latest failed tasks of the queue (django-q2 keeps them until retried)."""
    return list(Failure.objects.filter(func=registry.RUNNER).order_by("-stopped")[:limit])


def queued() -> int:
    return OrmQ.objects.count()


def retry(task_id: str) -> str:
    """Put a failed task's job on the queue again with the same arguments; the failure is
    removed from the list (the new run records its own). Returns the new task id."""
    failure = Failure.objects.filter(id=task_id, func=registry.RUNNER).first()
    if failure is None or not failure.args:
        raise NotFound(code="failed_job_not_found")
    name, *args = failure.args
    new_id = registry.enqueue(name, *args, **(failure.kwargs or {}))
    failure.delete()
    return new_id
