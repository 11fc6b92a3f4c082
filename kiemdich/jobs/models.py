"""What the platform keeps about its own jobs: who holds a periodic job now, and its runs."""

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
