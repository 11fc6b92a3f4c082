"""The jobs page, for admins: the schedule and each job's last run, the failed runs; the page
of a long task, for whoever started it (and the admins and auditors who oversee their work);
and the start of a page's export as a task."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts.models import User
from kiemdich.accounts.ratelimit import client_ip
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import scope_of
from kiemdich.core import audit
from kiemdich.core.errors import Conflict, NotFound
from kiemdich.core.exports import csv_lines
from kiemdich.jobpages import access
from kiemdich.jobs import services, tasks


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
    except NotFound as exc:
        # Another admin retried it a moment ago, or its row was purged: the list, shown
        # again, says so rather than a dead end.
        messages.error(request, exc.message)
    else:
        audit.record(request.user, "job_retried", target=f"django_q.task:{task_id}",
                     ip=client_ip(request))
        messages.success(request, _("Đã đưa công việc vào hàng đợi để chạy lại."))
    return redirect("jobs:jobs")


# Long tasks: their page for the person who started them -------------------------------


def start_export(request: HttpRequest, kind: str, label: str, **params: object) -> HttpResponse:
    """A page's export button (POST `format` csv or xlsx, the page's filters in its URL,
    already checked by the page): the list is made by a worker, from the filters and the
    account's scope at that time; the task's page shows the progress and offers the file."""
    task = tasks.start(kind, request.user, label=label, params={
        "format": "xlsx" if request.POST.get("format") == "xlsx" else "csv",
        "query": {k: v for k, v in request.GET.items() if k not in ("page", "format")},
        **params}, in_language=True)
    return redirect("jobs:task", pk=task.pk)


@login_required
def task(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.visible(request.user, pk)
    kind = tasks.KINDS[item.kind]
    return render(request, "jobs/task.html", {
        "task": item, "kind": kind, "about": kind.describe(item) if kind.describe else "",
        "mine": item.owner_id == request.user.pk,
        "status_url": reverse("api:task_status", args=[item.pk])})


@login_required
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    task = access.of_owner(request.user, pk)
    try:
        tasks.cancel(task)
    except Conflict as exc:
        # Finished while the page was open: the task's page, shown again, says so.
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã yêu cầu hủy; công việc dừng sau phần đang làm."))
    return redirect("jobs:task", pk=pk)


def result_response(request: HttpRequest, user: User,
                    item: tasks.Task) -> StreamingHttpResponse:
    """A task's file, for the page and the API. Every download is written to the audit
    trail (`export`, target `task:<id>`, the owner named when someone overseeing them
    downloads it); a task without a result raises `task_no_result`."""
    pieces = tasks.result_of(item)
    owner = "" if item.owner_id == user.pk else f" owner={item.owner_id}"
    audit.record(user, "export", target=f"task:{item.pk}",
                 reason=f"{item.kind} {item.result_name}{owner}", ip=client_ip(request))
    response = StreamingHttpResponse(pieces, content_type=item.result_type)
    response["Content-Disposition"] = f'attachment; filename="{item.result_name}"'
    return response


@login_required
def task_result(request: AuthedRequest, pk: int) -> StreamingHttpResponse:
    return result_response(request, request.user, access.visible(request.user, pk))


@login_required
def task_errors(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The bad rows as CSV: row, column, reason (no content of the rows)."""
    item = access.visible(request.user, pk)
    response = StreamingHttpResponse(
        csv_lines([_("Dòng"), _("Cột"), _("Lý do")], tasks.errors_of(item)),
        content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="loi-{item.pk}.csv"'
    return response
