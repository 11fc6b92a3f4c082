"""Long tasks: work a person starts from a page (an import, an export, a batch of posters)
that runs on the workers, in chunks, with its progress on a page that follows it.

An app declares a kind next to the service it runs:

    @task_kind("reports.import", label=_("Nhập dữ liệu"), unit=_("dòng"))
    def run_import(run: Run) -> None:
        for chunk in ...:
            with run.chunk() as commit:        # one transaction: the work and its progress
                ... write the chunk ...
                commit(done=n, state={"row": n}, counts={"created": c}, errors=[...])

and starts one with `start(kind, owner, label=..., params=..., upload=chunks)`. The worker
runs job `tasks.run` with the task's id. A run holds the task's lease (renewed at every
commit) so that two runs never work on it at once; it works for at most half the job
timeout, then queues the rest of the work as a new run (a task may take hours, no run is
killed for its length). A run killed mid-way is delivered again by the queue; it starts from
the last committed checkpoint, and the chunk that was being written, never committed, is
written once. Cancelling stops a task between two chunks: what was committed stays.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Now
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _lazy

from kiemdich.core.errors import Conflict, DomainError
from kiemdich.core.exports import csv_lines, xlsx_bytes
from kiemdich.jobs import registry
from kiemdich.jobs.models import Task, TaskError, TaskFile

logger = logging.getLogger(__name__)

# What a kind's function needs of the models, named here so it imports only this module.
Stage = Task.Stage

PIECE_BYTES = 1024 * 1024
# Tasks (with their files and bad rows) are kept this long after they finish.
TASKS_KEPT_DAYS = 7


@dataclass(frozen=True)
class Kind:
    name: str
    label: Promise
    unit: Promise  # what `done` and `total` count: rows, venues
    run: Callable[[Run], None]
    describe: Callable[[Task], str] | None  # what this task is, beyond the kind's label
    # What the page says of a cancelled task: what it left behind.
    cancelled: Promise | None = None


KINDS: dict[str, Kind] = {}


# What a cancelled task that makes a file leaves: nothing (the file is stored at its end).
NO_FILE_WHEN_CANCELLED = gettext_lazy("Công việc đã bị hủy trước khi tạo xong tệp; không có "
                                      "tệp kết quả. Bạn có thể xuất lại bất cứ lúc nào.")


def task_kind(name: str, *, label: Promise, unit: Promise,
              describe: Callable[[Task], str] | None = None,
              cancelled: Promise | None = NO_FILE_WHEN_CANCELLED,
              ) -> Callable[[Callable[[Run], None]], Callable[[Run], None]]:
    """Declare a kind of long task; its function does the work through a `Run`.
    `cancelled` is what the page says once such a task was cancelled."""
    def declare(func: Callable[[Run], None]) -> Callable[[Run], None]:
        if name in KINDS:
            raise ValueError(f"task kind {name!r} is declared twice")
        KINDS[name] = Kind(name, label, unit, func, describe, cancelled)
        return func
    return declare


class Failed(Exception):
    """The task cannot be done (a file that is not CSV): its message is shown on the page."""


class Rejected(Exception):
    """The task did nothing on purpose (all-or-nothing with bad rows): said on the page."""


class _Cancelled(Exception):
    pass


class _SliceOver(Exception):
    pass


class _LeaseLost(Exception):
    pass


def slice_seconds() -> float:
    """How long one run works before queuing the rest: well inside the job's timeout."""
    return settings.JOB_TIMEOUT / 2


def lease_seconds() -> float:
    # A killed run's task is delivered again JOB_RETRY (> JOB_TIMEOUT) seconds after it was
    # handed out; by then a lease of half the timeout, renewed at the last commit of a run of
    # at most half the timeout, has expired.
    return settings.JOB_TIMEOUT / 2


class Run:
    """One run of a task, what a kind's function works through."""

    def __init__(self, task: Task, holder: str) -> None:
        self.task = task
        self.holder = holder
        self.deadline = time.monotonic() + slice_seconds()
        self.kind = KINDS[task.kind]

    @property
    def state(self) -> dict:
        return self.task.state

    @contextmanager
    def chunk(self, resumable: bool = True) -> Iterator[Callable[..., None]]:
        """A transaction for one chunk of work and its progress, committed together. After
        it, the run stops if the task was cancelled or (for work that goes on from its
        checkpoint) its slice of time is over. Work that cannot go on from a checkpoint (a
        file built in memory) says `resumable=False`, and must end within JOB_TIMEOUT."""
        with transaction.atomic():
            yield self._commit
        if Task.objects.filter(pk=self.task.pk, cancel_requested=True).exists():
            raise _Cancelled
        if resumable and time.monotonic() > self.deadline:
            raise _SliceOver

    def _commit(self, *, done: int | None = None, total: int | None = None,
                state: dict | None = None, counts: dict[str, int] | None = None,
                errors: Iterable[tuple[int, str, str]] = (),
                stage: str | None = None) -> None:
        """Record progress inside the chunk's transaction. `counts` are added to the task's;
        `errors` are (row, column, message). Raises when another run holds the task now,
        which rolls the chunk back."""
        task = self.task
        bad = [TaskError(task=task, row=row, column=column[:40], message=message[:300])
               for row, column, message in errors]
        TaskError.objects.bulk_create(bad, ignore_conflicts=True, batch_size=2000)
        fields: dict[str, Any] = {"lease_until": Now() + timedelta(seconds=lease_seconds())}
        if done is not None:
            task.done = fields["done"] = done
        if total is not None:
            task.total = fields["total"] = total
        if state is not None:
            task.state = fields["state"] = state
        if stage is not None:
            task.stage = fields["stage"] = stage
        if counts:
            task.counts = fields["counts"] = {
                key: task.counts.get(key, 0) + counts.get(key, 0)
                for key in {*task.counts, *counts}}
        if bad:
            task.error_count += len(bad)
            fields["error_count"] = F("error_count") + len(bad)
        if Task.objects.filter(pk=task.pk, holder=self.holder).update(**fields) != 1:
            raise _LeaseLost

    def error_rows(self) -> set[int]:
        """The rows found bad so far (by the runs before this one too)."""
        return set(TaskError.objects.filter(task=self.task).values_list("row", flat=True))

    def input(self) -> io.TextIOWrapper:
        """The uploaded file as text (UTF-8, a byte-order mark skipped), read piece by piece
        from the database."""
        return io.TextIOWrapper(io.BufferedReader(_Pieces(self.task, TaskFile.Role.INPUT)),
                                encoding="utf-8-sig", newline="")

    def write_result(self, data: bytes, name: str, content_type: str) -> None:
        """Store the task's result (in its own transaction, replacing any earlier one)."""
        with transaction.atomic():
            TaskFile.objects.filter(task=self.task, role=TaskFile.Role.RESULT).delete()
            _store(self.task, TaskFile.Role.RESULT, _pieces_of(data))
            Task.objects.filter(pk=self.task.pk).update(result_name=name[:200],
                                                        result_type=content_type)


class _Pieces(io.RawIOBase):
    """A stored file's pieces as one stream, loaded one piece at a time."""

    def __init__(self, task: Task, role: str) -> None:
        self.ids = iter(TaskFile.objects.filter(task=task, role=role).order_by("seq")
                        .values_list("pk", flat=True))
        self.buffer = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self.buffer:
            pk = next(self.ids, None)
            if pk is None:
                return 0
            self.buffer = memoryview(bytes(TaskFile.objects.values_list("data", flat=True)
                                           .get(pk=pk)))
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        return size


def _pieces_of(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), PIECE_BYTES):
        yield data[start:start + PIECE_BYTES]


def _store(task: Task, role: str, pieces: Iterable[bytes]) -> None:
    # One row at a time: bulk_create would hold the whole file in memory first.
    for seq, piece in enumerate(pieces):
        TaskFile.objects.create(task=task, role=role, seq=seq, data=piece)


def file_pieces(task: Task, role: str) -> Iterator[bytes]:
    for pk in TaskFile.objects.filter(task=task, role=role).order_by("seq").values_list(
            "pk", flat=True):
        yield bytes(TaskFile.objects.values_list("data", flat=True).get(pk=pk))


# Lists written to a file ----------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A list to export: its file's name (without extension), headers, rows, row count."""

    filename: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    total: int
    title: str = "Data"  # of the XLSX sheet


EXPORT_PROGRESS_ROWS = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_kind(name: str, *, label: Promise, table: Callable[[Task], Table]) -> None:
    """Declare a kind that writes the list `table(task)` makes (in the worker, with the
    task's owner and parameters) to CSV or XLSX (`params["format"]`), every cell safe from
    formulas, progress committed every EXPORT_PROGRESS_ROWS rows. A run cut short starts the
    file again (nothing was stored before its end). A page starts one with
    `jobpages.views.start_export`."""
    def run(run: Run) -> None:
        made = table(run.task)
        with run.chunk(resumable=False) as commit:
            commit(done=0, total=made.total, stage=Stage.WRITING)

        def counted() -> Iterator[Sequence[object]]:
            done = 0
            for row in made.rows:
                yield row
                done += 1
                if done % EXPORT_PROGRESS_ROWS == 0:
                    with run.chunk(resumable=False) as commit:
                        commit(done=done)
            with run.chunk(resumable=False) as commit:
                commit(done=done, total=done)

        if run.task.params.get("format") == "xlsx":
            run.write_result(xlsx_bytes(made.headers, counted(), made.title),
                             f"{made.filename}.xlsx", XLSX)
        else:
            run.write_result(b"".join(csv_lines(made.headers, counted())),
                             f"{made.filename}.csv", "text/csv; charset=utf-8")

    task_kind(name, label=label, unit=_lazy("dòng"))(run)


# Starting, following, cancelling -------------------------------------------------------


def start(kind: str, owner: Any, *, label: str = "", params: dict | None = None,
          upload: Iterable[bytes] = (), in_language: bool = False) -> Task:
    """Store the task (and its upload, in pieces) and queue its first run, in one
    transaction: the task exists if and only if a worker will run it. `in_language`: the
    run works in the language active now (a file for the person who asked), not the
    platform's."""
    if kind not in KINDS:
        raise LookupError(f"no task kind {kind!r}")
    params = dict(params or {})
    if in_language:
        params["language"] = translation.get_language() or settings.LANGUAGE_CODE
    with transaction.atomic():
        task = Task.objects.create(kind=kind, owner=owner, label=label[:200], params=params)
        _store(task, TaskFile.Role.INPUT, upload)
        registry.enqueue("tasks.run", task.pk)
    return task


def recent(owner: Any, kinds: Iterable[str] | None = None, limit: int = 10) -> list[Task]:
    tasks = Task.objects.filter(owner=owner)
    if kinds is not None:
        tasks = tasks.filter(kind__in=list(kinds))
    return list(tasks.order_by("-created_at")[:limit])


def cancel(task: Task) -> Task:
    """Ask the task to stop: one still waiting is cancelled at once, a running one at its
    next chunk."""
    if task.finished:
        raise Conflict(code="task_finished")
    Task.objects.filter(pk=task.pk).update(cancel_requested=True)
    Task.objects.filter(pk=task.pk, status=Task.Status.QUEUED).update(
        status=Task.Status.CANCELLED, finished_at=Now())
    task.refresh_from_db()
    return task


def result_of(task: Task) -> Iterator[bytes]:
    if task.status != Task.Status.DONE or not task.result_name:
        raise Conflict(code="task_no_result")
    return file_pieces(task, TaskFile.Role.RESULT)


def errors_of(task: Task) -> Iterator[tuple[int, str, str]]:
    yield from TaskError.objects.filter(task=task).order_by("row").values_list(
        "row", "column", "message").iterator(chunk_size=5000)


# The worker's side ----------------------------------------------------------------------


def _claim(task_id: int, holder: str) -> Task | None:
    claimed = Task.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=Now()),
        pk=task_id, status__in=[Task.Status.QUEUED, Task.Status.RUNNING],
    ).update(status=Task.Status.RUNNING, holder=holder,
             lease_until=Now() + timedelta(seconds=lease_seconds()),
             started_at=Coalesce("started_at", Now()))
    return Task.objects.get(pk=task_id) if claimed else None


def _finish(task: Task, holder: str, status: str, message: str = "") -> None:
    Task.objects.filter(pk=task.pk, holder=holder).update(
        status=status, message=message[:2000], holder="", lease_until=None,
        finished_at=Now(), stage="")


def execute(task_id: int) -> str:
    """One run of a task (job `tasks.run`): until it is done, cancelled or its slice ends."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    task = _claim(task_id, holder)
    if task is None:
        held = Task.objects.filter(pk=task_id, status=Task.Status.RUNNING).values_list(
            "lease_until", flat=True).first()
        if held is None:
            return "skipped: finished"
        # Another run holds it. Should that run be dead (its worker killed after its lease
        # was renewed late), nobody else would go on: look again once the lease is over.
        registry.enqueue_at(held + timedelta(seconds=1), "tasks.run", task_id)
        return "skipped: another run holds it; looking again when its lease ends"
    if task.cancel_requested:
        _finish(task, holder, Task.Status.CANCELLED)
        return "cancelled"
    run = Run(task, holder)
    try:
        # The rows' error messages are stored in the platform's language; a file made for
        # someone is in theirs.
        with translation.override(task.params.get("language") or settings.LANGUAGE_CODE):
            run.kind.run(run)
    except _SliceOver:
        with transaction.atomic():
            Task.objects.filter(pk=task.pk, holder=holder).update(holder="", lease_until=None)
            registry.enqueue("tasks.run", task.pk)
        return f"paused at {run.task.done}, continued by a new run"
    except _Cancelled:
        _finish(task, holder, Task.Status.CANCELLED)
        return "cancelled"
    except _LeaseLost:
        return "stopped: another run holds the task"
    except Rejected as exc:
        _finish(task, holder, Task.Status.REJECTED, str(exc))
        return "rejected"
    except Failed as exc:
        _finish(task, holder, Task.Status.FAILED, str(exc))
        return "failed"
    except DomainError as exc:  # refused by a service (the owner's scope no longer allows it)
        _finish(task, holder, Task.Status.FAILED, str(exc.message))
        return "failed"
    except Exception:
        logger.exception("task %s (%s) failed", task.pk, task.kind)
        with translation.override(settings.LANGUAGE_CODE):
            _finish(task, holder, Task.Status.FAILED,
                    _("Lỗi hệ thống khi thực hiện; quản trị viên đã được ghi nhận lỗi."))
        return "failed"
    _finish(task, holder, Task.Status.DONE)
    return "done"


def fail_abandoned() -> int:
    """Fail the tasks no run will take up again, and say so on their page.

    A run killed by its worker at the job's timeout (a file made in one piece, an export of
    more rows than a run can write in JOB_TIMEOUT) is recorded as failed by the queue and is
    never delivered again, so its task would stay "running" forever. A run killed by a dying
    worker is delivered again JOB_RETRY seconds after it was handed out, and that was before
    its lease ended: a lease over for longer than JOB_RETRY has no run left to come.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_RETRY)
    with translation.override(settings.LANGUAGE_CODE):
        message = _("Công việc chạy quá thời gian cho phép nên đã dừng. "
                    "Hãy bắt đầu lại, hoặc chia nhỏ (lọc theo khu vực, ngày).")
    return Task.objects.filter(status=Task.Status.RUNNING, lease_until__lt=cutoff).update(
        status=Task.Status.FAILED, message=message, holder="", lease_until=None,
        finished_at=Now(), stage="")


def purge() -> int:
    """Delete tasks finished more than TASKS_KEPT_DAYS ago, with their files and rows."""
    old = Task.objects.filter(finished_at__lt=timezone.now() - timedelta(days=TASKS_KEPT_DAYS))
    return old.delete()[1].get("jobs.Task", 0)

