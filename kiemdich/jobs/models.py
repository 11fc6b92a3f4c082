"""What the platform keeps about its own jobs: who holds a periodic job now, its runs, and the
long tasks people start (with their files and bad rows)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobLease(models.Model):
    """One row per periodic job: the run that holds it until `expires_at`.

    A run takes the lease with one conditional UPDATE, so of two workers (on any machines)
    only one gets it; a worker killed mid-run keeps it only until it expires, the job's
    timeout, after which the next period's run (or the queue's re-delivery) takes it."""

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField()


class JobRun(models.Model):
    """One run of a periodic job, whoever started it (the schedule, `run_job`, a retry)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Đang chạy")
        OK = "ok", _("Thành công")
        FAILED = "failed", _("Lỗi")

    name = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    result = models.TextField(blank=True)
    error = models.TextField(blank=True)
    trigger = models.CharField(max_length=16)
    # The period this run was scheduled for (None when started by hand): a period whose run
    # succeeded is not run again when the queue delivers its task a second time.
    scheduled_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["name", "-started_at"], name="jobrun_name_started")]

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Task(models.Model):
    """One long piece of work a person started (an import, an export, a batch of posters),
    run by the workers in chunks: each chunk commits its work together with the progress and
    the kind's checkpoint (`state`), so a page can follow it and a run cut short (a worker
    killed, a slice's end) goes on from the last commit without doing any chunk twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang chạy")
        DONE = "done", _("Hoàn tất")
        REJECTED = "rejected", _("Không thực hiện (có dòng lỗi)")
        CANCELLED = "cancelled", _("Đã hủy")
        FAILED = "failed", _("Lỗi")

    class Stage(models.TextChoices):
        NONE = "", ""
        COUNTING = "counting", _("Đang đếm số dòng")
        CHECKING = "checking", _("Đang kiểm tra")
        WRITING = "writing", _("Đang ghi")

    kind = models.CharField(max_length=40)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    label = models.CharField(max_length=200, blank=True)  # a file's name, a list's name
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=10, choices=Stage.choices, default="", blank=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)  # None until known
    counts = models.JSONField(default=dict, blank=True)  # {"created": n, "updated": n}
    error_count = models.PositiveIntegerField(default=0)
    state = models.JSONField(default=dict, blank=True)  # the kind's checkpoint
    result_name = models.CharField(max_length=200, blank=True)
    result_type = models.CharField(max_length=100, blank=True)
    message = models.TextField(blank=True)  # why it failed, for the person who started it
    cancel_requested = models.BooleanField(default=False)
    # The run that holds the task until `lease_until` (renewed by every commit).
    holder = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"], name="task_owner_created")]

    FINISHED = (Status.DONE, Status.REJECTED, Status.CANCELLED, Status.FAILED)

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.done / self.total))


class TaskFile(models.Model):
    """A task's upload or result, in pieces of at most a mebibyte in the database, so that a
    worker on another machine reads what a server received (no shared disk) and the file is
    backed up and deleted with its task."""

    class Role(models.TextChoices):
        INPUT = "input"
        RESULT = "result"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="files")
    role = models.CharField(max_length=6, choices=Role.choices)
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "role", "seq"],
                                               name="taskfile_piece")]


class TaskError(models.Model):
    """One bad row of an import: its number in the file, the column and why (never the
    row's content, which may hold personal data). Keyed by (task, row), so a chunk written
    again after a crash adds no second copy."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "row"], name="taskerror_row")]
