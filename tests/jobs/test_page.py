"""The jobs page: admins see every scheduled job with its last run, result, duration and
next run, and the failed runs with their error and a retry button; nobody else sees it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import account_for_phone, grant_role
from kiemdich.jobs import registry, schedules
from kiemdich.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


def page_client(phone: str, role: str | None = None) -> Client:
    user = grant_role(phone, role).user if role else account_for_phone(phone)
    client = Client()
    client.force_login(user)
    return client


def _failure(name: str = "stats.today", args: tuple = ()) -> str:
    from django_q.models import Task

    now = timezone.now()
    return Task.objects.create(
        id="f" * 32, name=name, func=registry.RUNNER, args=(name, *args), kwargs={},
        started=now - timedelta(seconds=3), stopped=now, success=False, group=name,
        result="Traceback (most recent call last):\nRuntimeError: gateway down").id


def test_admins_see_the_schedule_with_last_and_next_runs():
    schedules.sync()
    call_command("run_job", "stats.today", stdout=StringIO())
    html = page_client("0912000071", Role.ADMIN).get("/jobs/").content.decode()
    for spec in registry.JOBS.values():
        if spec.periodic:
            assert f'data-job="{spec.name}"' in html
    row = html.split('data-job="stats.today"')[1].split("</tr>")[0]
    assert 'data-status="ok"' in row and "refreshed" in row and " s</td>" in row
    never = html.split('data-job="audit.verify"')[1].split("</tr>")[0]
    assert "chưa chạy" in never
    assert "Không có công việc nào lỗi." in html


@pytest.mark.parametrize("role", [None, Role.OFFICER, Role.AUDITOR])
def test_others_may_not_see_it(role):
    client = page_client("0912000072", role)
    assert client.get("/jobs/").status_code == 403
    task = _failure()
    assert client.post(f"/jobs/failed/{task}/retry").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in():
    answer = Client().get("/jobs/")
    assert answer.status_code == 302 and "/accounts/login" in answer["Location"]


def test_a_failed_job_is_listed_and_retried_with_its_arguments():
    from django_q.models import Failure, OrmQ

    task = _failure()
    client = page_client("0912000073", Role.ADMIN)
    html = client.get("/jobs/").content.decode()
    assert f'data-task="{task}"' in html and "RuntimeError: gateway down" in html
    answer = client.post(f"/jobs/failed/{task}/retry", follow=True)
    assert "Đã đưa công việc vào hàng đợi để chạy lại." in answer.content.decode()
    assert not Failure.objects.filter(id=task).exists()
    assert OrmQ.objects.count() == 1
    assert OrmQ.objects.get().task["args"] == ("stats.today",)
    assert AuditEntry.objects.filter(action="job_retried",
                                     target=f"django_q.task:{task}").exists()


def test_retrying_an_unknown_task_says_so_and_queues_nothing():
    from django_q.models import OrmQ

    answer = page_client("0912000074", Role.ADMIN).post("/jobs/failed/nope/retry", follow=True)
    assert "Không tìm thấy công việc lỗi này" in answer.content.decode()
    assert OrmQ.objects.count() == 0


def test_retry_takes_only_a_post():
    client = page_client("0912000075", Role.ADMIN)
    assert client.get(f"/jobs/failed/{_failure()}/retry").status_code == 405
