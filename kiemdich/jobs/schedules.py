"""The queue's schedules, kept equal to the `@periodic` declarations in the code."""

from __future__ import annotations

from datetime import datetime

from croniter import croniter
from django.conf import settings
from django.db import transaction
from django.utils.timezone import localtime
from django_q.models import Schedule

from kiemdich.jobs import registry


def sync() -> int:
    """Create, update and delete django-q2 Schedule rows so that there is exactly one per
    declared periodic job, with its cron expression. Run at every worker's start; two
    workers starting together are serialised by the row locks (PostgreSQL) or the immediate
    transaction (SQLite). Returns the number of schedules."""
    declared = {name: spec for name, spec in registry.JOBS.items() if spec.periodic}
    with transaction.atomic():
        existing = {s.name: s for s in Schedule.objects.select_for_update().filter(
            func=registry.RUNNER)}
        for name, spec in declared.items():
            fields = {"func": registry.RUNNER, "args": repr((name,)),
                      "kwargs": repr({"q_options": {"timeout": spec.timeout,
                                                    "task_name": name}}),
                      "schedule_type": Schedule.CRON, "cron": spec.cron, "repeats": -1,
                      "intended_date_kwarg": "scheduled_for",
                      "cluster": settings.JOB_OWNER_QUEUE_NAME
                      if spec.owner and settings.JOB_OWNER_QUEUE else None}
            schedule = existing.pop(name, None)
            if schedule is None:
                Schedule.objects.create(name=name, next_run=next_run(spec.schedule), **fields)
            elif any(getattr(schedule, key) != value for key, value in fields.items()):
                for key, value in fields.items():
                    setattr(schedule, key, value)
                schedule.next_run = next_run(spec.schedule)
                schedule.save()
        for stale in existing.values():
            stale.delete()
    return len(declared)


def next_run(cron: str) -> datetime:
    return croniter(cron, localtime()).get_next(datetime)
