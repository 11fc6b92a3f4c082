"""Declaring jobs: `@job` for work run on demand, `@periodic` for work on a schedule.

Both are declared in an app's `jobs.py`, next to the service they call (the jobs app
imports every `jobs.py` at start-up), and are run by the worker (`manage.py run_worker`)
through django-q2's queue in the database. A job's function must be idempotent: a worker
killed mid-run has its job delivered again, whole, to another worker (docs/architecture.md,
"Background jobs").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from croniter import croniter
from django.conf import settings
from django_q.brokers.orm import ORM
from django_q.tasks import async_task

from kiemdich.core.observability import current_request_id

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The function the queue calls for every job: it finds the job by name, so what is stored
# in the queue is a name and JSON-like arguments, never a pickled function.
RUNNER = "kiemdich.jobs.runner.execute"


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., Any]
    description: StrOrPromise
    timeout: int  # seconds; the worker kills a run that takes longer
    cron: str | None = None  # periodic jobs: minute hour day month weekday [second]
    # Needs the database owner's role (DDL: partitions made or dropped). With JOB_OWNER_QUEUE
    # on, it goes to the queue of the worker that runs as the owner (docs/operations.md).
    owner: bool = False

    @property
    def periodic(self) -> bool:
        return self.cron is not None

    @property
    def schedule(self) -> str:
        """The cron of a periodic job."""
        if self.cron is None:
            raise ValueError(f"job {self.name!r} is not periodic")
        return self.cron


JOBS: dict[str, Job] = {}


def _register(spec: Job) -> None:
    if spec.name in JOBS:
        raise ValueError(f"job {spec.name!r} is declared twice")
    if spec.cron is not None and not croniter.is_valid(spec.cron):
        raise ValueError(f"job {spec.name!r}: invalid cron {spec.cron!r}")
    # The queue delivers a job again when it is not done JOB_RETRY seconds after it was
    # handed out: no run may last longer than JOB_TIMEOUT, the ceiling of every timeout.
    JOBS[spec.name] = replace(spec, timeout=min(spec.timeout, settings.JOB_TIMEOUT))


def job(name: str, *, description: StrOrPromise, timeout: int | None = None
        ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a job run on demand: `enqueue(name, *args)` puts it on the queue."""
    def declare(func: Callable[..., Any]) -> Callable[..., Any]:
        _register(Job(name, func, description, timeout or settings.JOB_TIMEOUT))
        return func
    return declare


def periodic(name: str, *, cron: str, description: StrOrPromise, timeout: int, owner: bool = False
             ) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Declare a job run on a schedule (a cron expression in local time: TIME_ZONE).

    The worker keeps the queue's schedules equal to these declarations. Whatever the number
    of workers, a run happens once per period and never while another run of the same job
    holds its lease (kiemdich.jobs.runner). The function takes no argument and returns a
    short text saying what it did, shown on the jobs page."""
    def declare(func: Callable[[], Any]) -> Callable[[], Any]:
        _register(Job(name, func, description, timeout, cron, owner))
        return func
    return declare


def get(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise LookupError(f"no job named {name!r}") from None


def enqueue(name: str, *args: Any, **kwargs: Any) -> str:
    """Put a run of job `name` on the queue; returns the queue's task id. The arguments are
    stored in the database until a worker takes them: pass ids, not objects. The queue is a
    table of the application's database, so a run queued inside a transaction is queued
    only if the transaction commits."""
    return _enqueue(name, args, kwargs)


def enqueue_at(when: datetime, name: str, *args: Any, **kwargs: Any) -> str:
    """Like `enqueue`, but no worker takes the run before `when` (a retry's backoff)."""
    class Delayed(ORM):
        # The ORM broker hands out a task once its `lock` is in the past: a task created
        # with a lock in the future waits until then, in the same table as every other.
        def enqueue(self, task: str) -> int:
            return self.get_connection().create(key=self.list_key, payload=task,
                                                lock=when).pk

    return _enqueue(name, args, kwargs, broker_class=Delayed)


def _enqueue(name: str, args: tuple, kwargs: dict, broker_class: type | None = None) -> str:
    spec = get(name)
    options = {"timeout": spec.timeout, "group": name, "task_name": name}
    if spec.owner and settings.JOB_OWNER_QUEUE:
        options["cluster"] = settings.JOB_OWNER_QUEUE_NAME
    if broker_class is not None:
        options["broker"] = broker_class(options.get("cluster"))
    # The job's log lines carry the id of the request that queued it (a retry keeps it).
    kwargs = {"request_id": current_request_id(), **kwargs}
    return async_task(RUNNER, name, *args, q_options=options, **kwargs)
