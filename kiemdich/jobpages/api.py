"""Long tasks in the API: a task's progress as JSON (what the progress widget polls), and
cancelling it. The account that started a task sees it, and an admin or auditor who
oversees that account's work (`access.visible`); any other id is 404 `task_not_found`. Only
the account that started it cancels it (403 `task_not_owner`)."""

from __future__ import annotations

from datetime import datetime

from django.http import StreamingHttpResponse
from django.urls import reverse
from ninja import Router, Schema, Status

from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.core.schemas import ErrorOut
from kiemdich.jobpages import access
from kiemdich.jobpages.views import result_response
from kiemdich.jobs import tasks

router = Router(tags=["tasks"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
# The OpenAPI document's operation ids are named by module by default; clients generate code
# from them, so these keep the ids they were published under (kiemdich.jobs.api).
PUBLISHED_AS = "kiemdich_jobs_api_"


class TaskOut(Schema):
    id: int
    kind: str
    label: str
    status: str  # queued, running, done, rejected, cancelled, failed
    status_label: str
    stage: str
    finished: bool
    done: int
    total: int | None
    percent: int
    counts: dict[str, int]
    error_count: int
    cancel_requested: bool
    message: str
    created_at: datetime
    finished_at: datetime | None
    page_url: str
    result_url: str | None  # the portal's download (a browser's session)
    download_url: str | None  # the same file for API clients (a bearer token)
    errors_url: str | None


def task_out(task: tasks.Task) -> dict:
    return {
        "id": task.pk, "kind": task.kind, "label": task.label, "status": task.status,
        "status_label": str(task.get_status_display()), "stage": task.stage,
        "finished": task.finished, "done": task.done, "total": task.total,
        "percent": task.percent, "counts": task.counts, "error_count": task.error_count,
        "cancel_requested": task.cancel_requested, "message": task.message,
        "created_at": task.created_at, "finished_at": task.finished_at,
        "page_url": reverse("jobs:task", args=[task.pk]),
        "result_url": reverse("jobs:task_result", args=[task.pk])
        if task.status == tasks.Task.Status.DONE and task.result_name else None,
        "download_url": reverse("api:task_download", args=[task.pk])
        if task.status == tasks.Task.Status.DONE and task.result_name else None,
        "errors_url": reverse("jobs:task_errors", args=[task.pk]) if task.error_count else None,
    }


@router.get("/tasks/{task_id}", response={200: TaskOut, **ERRORS}, auth=PEOPLE_AUTH,
            url_name="task_status", operation_id=f"{PUBLISHED_AS}task_status")
def task_status(request: AuthedRequest, task_id: int) -> dict:
    """A long task's progress: rows (or venues) done of the total, counts, errors so far."""
    return task_out(access.visible(request.auth, task_id))


@router.post("/tasks/{task_id}/cancel", response={202: TaskOut, **ERRORS}, auth=PEOPLE_AUTH,
             operation_id=f"{PUBLISHED_AS}task_cancel")
def task_cancel(request: AuthedRequest, task_id: int) -> Status:
    """Stop a task between two chunks (what was committed stays); 409 `task_finished` once
    it has ended."""
    return Status(202, task_out(tasks.cancel(access.of_owner(request.auth, task_id))))


@router.get("/tasks/{task_id}/result", response={200: None, **ERRORS}, auth=PEOPLE_AUTH,
            url_name="task_download", operation_id=f"{PUBLISHED_AS}task_download",
            openapi_extra={"responses": {200: {"description": "The task's file"}}})
def task_download(request: AuthedRequest, task_id: int) -> StreamingHttpResponse:
    """The finished task's file (`download_url`), for its owner and whoever oversees their
    work; every download is audited. 409 `task_no_result` before it is done."""
    return result_response(request, request.auth, access.visible(request.auth, task_id))
