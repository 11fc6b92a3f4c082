"""Long tasks seen from their page and the API: only the account that started one sees it,
its result or its error file; a result with personal data is audited at each download; a
task still waiting is cancelled at once, a finished one cannot be. (Runs are taken from the
queue in this process; the worker's own process is tested in test_imports.py.)"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import grant_role
from kiemdich.jobs.models import Task
from kiemdich.privacy.models import AuditEntry
from kiemdich.venues.models import Venue
from tests.conftest import run_queued_tasks

pytestmark = pytest.mark.django_db


def portal(phone: str, role: str = Role.OFFICER, area=None) -> Client:
    client = Client()
    client.force_login(grant_role(phone, role, area).user)
    return client


@pytest.fixture
def venues(areas, make_client):
    owner = make_client("0912000301").user
    return [Venue.objects.create(
        code=f"T{i}", name=f"Quán số {i}", venue_type="restaurant", sector="trade",
        area=areas["25993"], street="1 Lê Lợi", place_key=f"q{i}", owner=owner,
        default_stay_minutes=60, contact_phone="+84912000302") for i in range(5)]


def test_a_directory_export_is_a_task_whose_file_only_its_owner_downloads(areas, venues):
    officer = portal("0912000311", area=areas["731"])
    started = officer.post("/venues/directory/?sector=trade", {"format": "xlsx"})
    task = Task.objects.get()
    assert started["Location"] == f"/jobs/tasks/{task.pk}/"
    assert officer.get(f"/api/v1/tasks/{task.pk}").json()["status"] == "queued"
    # No file yet: refused (the pages' handler: 400), not a missing page.
    assert officer.get(f"/jobs/tasks/{task.pk}/result").status_code == 400
    assert run_queued_tasks() == ["done"]
    status = officer.get(f"/api/v1/tasks/{task.pk}").json()
    assert (status["status"], status["done"], status["total"], status["percent"]) == \
        ("done", 5, 5, 100)
    assert status["result_url"] == f"/jobs/tasks/{task.pk}/result"
    page = officer.get(status["page_url"]).content.decode()
    assert "Tải kết quả" in page and "dia-diem.xlsx" in page
    before = AuditEntry.objects.filter(action="export").count()
    download = officer.get(status["result_url"])
    assert download["Content-Disposition"] == 'attachment; filename="dia-diem.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.title == "Địa điểm" and sheet.max_row == 6
    assert sorted(sheet.cell(row, 2).value for row in range(2, 7)) == [
        f"Quán số {i}" for i in range(5)]
    audit = AuditEntry.objects.filter(action="export").order_by("-id")
    assert audit.count() == before + 1 and audit[0].target == f"task:{task.pk}"
    stranger = portal("0912000312", area=areas["731"])
    for path in (f"/jobs/tasks/{task.pk}/", f"/jobs/tasks/{task.pk}/result",
                 f"/jobs/tasks/{task.pk}/errors.csv"):
        assert stranger.get(path).status_code == 404
    answer = stranger.get(f"/api/v1/tasks/{task.pk}")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "task_not_found"
    assert AuditEntry.objects.filter(action="export").count() == before + 1


def test_a_waiting_task_is_cancelled_at_once_and_a_finished_one_cannot_be(areas, venues):
    officer = portal("0912000313", area=areas["731"])
    officer.post("/venues/directory/", {"format": "csv"})
    task = Task.objects.get()
    officer.post(f"/jobs/tasks/{task.pk}/cancel")
    task.refresh_from_db()
    assert (task.status, task.cancel_requested) == ("cancelled", True)
    assert run_queued_tasks() == []
    assert officer.get(f"/api/v1/tasks/{task.pk}").json()["status"] == "cancelled"
    page = officer.get(f"/jobs/tasks/{task.pk}/").content.decode()
    assert "Đã hủy" in page and "data-task-cancel" not in page
    answer = officer.post(f"/api/v1/tasks/{task.pk}/cancel")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "task_finished"


def test_a_task_no_run_will_take_up_again_is_failed_and_says_why(areas, venues, settings):
    """A run killed at the job's timeout is never delivered again by the queue: the task
    would stay 'running'. Once its lease has been over for longer than JOB_RETRY (after which
    a run killed with its worker would have been delivered again), tasks.abandoned fails it."""
    officer = portal("0912000314", area=areas["731"])
    for _ in range(3):
        officer.post("/venues/directory/", {"format": "csv"})
    abandoned, recent, waiting = Task.objects.order_by("pk")
    now = timezone.now()
    Task.objects.filter(pk=abandoned.pk).update(
        status="running", holder="w1:1:dead", done=2,
        lease_until=now - timedelta(seconds=settings.JOB_RETRY + 5))
    Task.objects.filter(pk=recent.pk).update(
        status="running", holder="w1:2:dead",
        lease_until=now - timedelta(seconds=settings.JOB_RETRY - 60))
    out = io.StringIO()
    call_command("run_job", "tasks.abandoned", stdout=out)
    assert "tasks.abandoned: 1 task(s) failed" in out.getvalue()
    status = officer.get(f"/api/v1/tasks/{abandoned.pk}").json()
    assert (status["status"], status["done"]) == ("failed", 2)
    assert status["message"].startswith("Công việc chạy quá thời gian cho phép nên đã dừng.")
    assert "chạy quá thời gian" in officer.get(status["page_url"]).content.decode()
    # A run killed with its worker is still to be delivered again: that task is left to it.
    assert officer.get(f"/api/v1/tasks/{recent.pk}").json()["status"] == "running"
    assert officer.get(f"/api/v1/tasks/{waiting.pk}").json()["status"] == "queued"
