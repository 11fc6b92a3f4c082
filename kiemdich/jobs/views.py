"""The jobs page, for admins: the schedule and each job's last run, the failed runs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts.ratelimit import client_ip
from kiemdich.accounts.scopes import scope_of
from kiemdich.errors import DomainError
from kiemdich.jobs import services
from kiemdich.privacy import audit


def _admin_only(request: HttpRequest) -> None:
    if not scope_of(request).is_admin:
        raise PermissionDenied


@login_required
def jobs(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    return render(request, "jobs/jobs.html", {
        "scheduled": services.scheduled(), "failed": services.failed(),
        "queued": services.queued()})


@login_required
@require_POST
def retry(request: HttpRequest, task_id: str) -> HttpResponse:
    _admin_only(request)
    try:
        services.retry(task_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        audit.record(request.user, "job_retried", target=f"django_q.task:{task_id}",
                     ip=client_ip(request))
        messages.success(request, _("Đã đưa công việc vào hàng đợi để chạy lại."))
    return redirect("jobs:jobs")
