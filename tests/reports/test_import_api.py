"""The imports' API upload (POST /api/v1/imports/{kind}, multipart) checks what the page
checks before any task exists — the importer's role, the kind, a roster's organisation, the
file's encoding and header, its size — each refusal with its stable code; a good file is
202 with the task, which the worker imports as from the page."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from kiemdich.accounts.models import Role
from kiemdich.jobs.models import Task
from kiemdich.reports.models import Organisation, Population
from tests.conftest import officer, run_queued_tasks

pytestmark = pytest.mark.django_db


def upload(client, kind: str, body: bytes, **fields: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("dan-so.csv", body, content_type="text/csv")
    return Client.post(client, f"/api/v1/imports/{kind}", {"file": file, **fields},
                       **client._auth({}))


def refused(answer, status: int, code: str) -> None:
    assert answer.status_code == status, answer.content
    assert answer.json()["error"]["code"] == code
    assert not Task.objects.exists()


def test_a_good_file_is_202_with_the_task_the_worker_imports(areas):
    client = officer("0912000701", Role.OFFICER, areas["731"])
    answer = upload(client, "population", b"area_code,population\n25993,12000\n99999,5\n"
)
    assert answer.status_code == 202, answer.content
    task = answer.json()
    assert (task["kind"], task["status"], task["label"]) == ("reports.import", "queued",
                                                             "dan-so.csv")
    assert task["page_url"] == f"/jobs/tasks/{task['id']}/"
    assert run_queued_tasks() == ["done"]
    done = client.get(f"/api/v1/tasks/{task['id']}").json()
    assert (done["status"], done["counts"], done["error_count"]) == (
        "done", {"created": 1, "updated": 0}, 1)
    assert Population.objects.get().residents == 12000
    errors = Client.get(client, done["errors_url"])  # the page's file, for a browser
    assert errors.status_code == 302  # a bearer token is not a portal session


def test_the_file_is_checked_before_any_task_exists(areas):
    client = officer("0912000702", Role.OFFICER, areas["731"])
    refused(upload(client, "population", "area_code,population\nPhú Hòa,1\n"
                   .encode("latin-1")), 422, "csv_encoding")
    refused(upload(client, "population", b"code,people\n25993,1\n"), 422, "csv_columns")
    refused(upload(client, "bogus", b"area_code,population\n"), 422, "import_kind")
    refused(upload(client, "roster", b"full_name,phone,id_number\n", organisation="",
                   organisation_area="25993", organisation_sector="labour"),
            422, "organisation_name")
    # A roster whose file is refused leaves no organisation behind either.
    refused(upload(client, "roster", b"name,phone\n", organisation="Công ty May",
                   organisation_area="25993", organisation_sector="labour"),
            422, "csv_columns")
    assert not Organisation.objects.exists()
    missing = Client.post(client, "/api/v1/imports/population", {}, **client._auth({}))
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "file"


@override_settings(MAX_BODY_BYTES=1000, UPLOAD_MAX_BYTES=4000)
def test_a_file_over_the_upload_limit_is_413(areas):
    client = officer("0912000703", Role.OFFICER, areas["731"])
    rows = "".join(f"25993,{n}\n" for n in range(300))  # about 3 KB: under the limit
    assert upload(client, "population", f"area_code,population\n{rows}".encode()) \
        .status_code == 202
    Task.objects.all().delete()
    big = "".join(f"25993,{n}\n" for n in range(600))
    refused(upload(client, "population", f"area_code,population\n{big}".encode()),
            413, "body_too_large")


def test_only_officers_and_admins_import(areas, lan):
    body = b"area_code,population\n25993,1\n"
    for client in (officer("0912000704", Role.HEALTH_OFFICER, areas["75"]),
                   officer("0912000705", Role.AUDITOR, areas["75"]), lan):
        refused(upload(client, "population", body), 403, "import_forbidden")
    anonymous = upload(type(lan)(), "population", body)
    refused(anonymous, 401, "unauthorized")
    assert officer("0912000706", Role.ADMIN).get("/api/v1/me").status_code == 200
    assert upload(officer("0912000707", Role.ADMIN), "population", body).status_code == 202
