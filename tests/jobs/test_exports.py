"""Exports, case reports and API uploads as long tasks, with the worker as deployed
(`manage.py run_worker` in processes of its own) and the API server as deployed, on SQLite
and on PostgreSQL: a page's export is followed to its file, its progress moving; one
cancelled while it runs leaves no file; a case's report through the API is made with its
progress in contacts and its PDF and workbook read back, and a cancelled one never runs;
the API upload refuses bad input with stable codes before any task exists and imports a
good file; a task's file is downloaded by an admin overseeing its owner, nobody else."""

from __future__ import annotations

import csv
import io

import httpx
import pypdfium2
import pytest
from openpyxl import load_workbook

from tests.faults.harness import ApiServer, report
from tests.jobs.harness import Officer, Worker, follow, portal, served_database

EXPORT_PROGRESS_ROWS = 2000  # kiemdich.jobs.tasks.EXPORT_PROGRESS_ROWS
SHAPE_CHUNK = 200  # kiemdich.tracing.exports.SHAPE_CHUNK


@pytest.fixture
def env(tmp_path):
    # Bodies over 2,000 bytes refused but an import's, up to 20,000 (413 tested below). A
    # file is made in one run, which must end within the job timeout: the deployed default
    # is 1800 s, 15 s for the other worker tests; 120 s here, for a loaded machine.
    with served_database(tmp_path) as env:
        yield {**env, "MAX_BODY_BYTES": "2000", "UPLOAD_MAX_BYTES": "20000",
               "JOB_TIMEOUT": "120", "JOB_RETRY": "190"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_page_export_runs_on_the_worker_with_progress_and_its_file(env):
    rows = 30_000
    portal(env, "officer", "0912000911")  # the area tree
    portal(env, "establishments", str(rows))
    with ApiServer(env, workers=1) as server:
        officer = Officer(env, server.url, "0912000911")
        task_id = officer.export("/reports/compliance/", {"area": "75"}, "csv")
        page = officer.client.get(f"/jobs/tasks/{task_id}/").text
        assert "data-task-cancel" in page and "Xuất danh sách chưa tuân thủ" in page
        with Worker(env) as worker:
            final, seen = officer.follow(task_id, 300, (worker,))
        assert final["status"] == "done", final
        assert (final["done"], final["total"], final["percent"]) == (rows, rows, 100)
        # Committed every 2,000 rows, and seen moving.
        moving = [done for done in seen if 0 < done < rows]
        assert moving and all(done % EXPORT_PROGRESS_ROWS == 0 for done in moving)
        download = officer.client.get(final["result_url"])
        assert download.status_code == 200
        assert download.headers["content-disposition"].startswith(
            'attachment; filename="establishments-75-')
        table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert table[0] == ["Số đăng ký", "Tên cơ sở", "Lĩnh vực", "Xã/phường"]
        assert len(table) == rows + 1
        assert sorted(r[0] for r in table[1:])[:2] == ["DK0000001", "DK0000002"]
        assert {r[2] for r in table[1:]} == {"Công thương"}
        assert "Tải kết quả" in officer.client.get(final["page_url"]).text
    report("page export through the worker", rows=rows, progress_values=len(seen))


def test_an_export_cancelled_while_it_runs_stops_and_leaves_no_file(env):
    rows = 60_000  # a workbook of some seconds: cancelled while it is being written
    portal(env, "officer", "0912000912")
    portal(env, "establishments", str(rows))
    with ApiServer(env, workers=1) as server:
        officer = Officer(env, server.url, "0912000912")
        task_id = officer.export("/reports/compliance/", {"area": "75"}, "xlsx")
        with Worker(env) as worker:
            officer.follow(task_id, 300, (worker,),
                           until=lambda s: s["done"] >= 2 * EXPORT_PROGRESS_ROWS)
            assert officer.cancel(task_id)["cancel_requested"] is True
            final, _seen = officer.follow(task_id, 120, (worker,))
        assert final["status"] == "cancelled", final
        assert 0 < final["done"] < rows
        assert (final["result_url"], final["download_url"]) == (None, None)
        # A cancelled task has no file to give: a refusal (task_no_result), not a missing page.
        assert officer.client.get(f"/jobs/tasks/{task_id}/result").status_code == 400
        page = officer.client.get(final["page_url"]).text
        assert "không có tệp kết quả" in page
    report("export cancelled mid-run", done_at_cancel=final["done"], rows=rows)


def test_a_case_report_through_the_api_with_progress_and_its_files(env):
    contacts = 450  # three chunks of contacts' data, 200 each
    health = portal(env, "officer", "0912000913", "health_officer", "75")
    portal(env, "tracing", str(contacts))
    with ApiServer(env, workers=1) as server, \
            httpx.Client(base_url=server.url, timeout=120,
                         headers=bearer(health["token"])) as api:
        case = api.post("/api/v1/cases", json={"person": {"phone": "0912600000"},
                                               "confirmed_at": "2021-08-15T12:00:00+07:00"})
        assert case.status_code == 201, case.text
        case_id = case.json()["id"]
        started = {}
        for fmt in ("pdf", "xlsx"):
            answer = api.post(f"/api/v1/cases/{case_id}/exports", json={"format": fmt})
            assert answer.status_code == 202, answer.text
            assert answer.json()["status"] == "queued"
            started[fmt] = answer.json()["id"]
        bad = api.post(f"/api/v1/cases/{case_id}/exports", json={"format": "doc"})
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "format_invalid")
        # One more, cancelled before any worker runs: it never runs.
        cancelled = api.post(f"/api/v1/cases/{case_id}/exports", json={"format": "pdf"}).json()
        answer = api.post(f"/api/v1/tasks/{cancelled['id']}/cancel")
        assert (answer.status_code, answer.json()["status"]) == (202, "cancelled")
        with Worker(env) as worker:
            finals = {fmt: follow(api, task, 300, (worker,)) for fmt, task in started.items()}
        for final, seen in finals.values():
            assert final["status"] == "done", final
            assert (final["done"], final["total"]) == (contacts, contacts)
            assert seen[-1] == contacts
            assert set(seen) <= {0, SHAPE_CHUNK, 2 * SHAPE_CHUNK, contacts}, seen
        pdf = api.get(finals["pdf"][0]["download_url"])
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == \
            f'attachment; filename="ca-benh-{case_id}.pdf"'
        document = pypdfium2.PdfDocument(pdf.content)
        # The text layer without its line ends (a cell wraps a name at its spaces).
        text = "".join("".join(page.get_textpage().get_text_range() for page in document)
                       .replace("\ufffe", "").split())
        assert f"#{case_id}" in text and "QuánCơmTấm" in text
        assert "NgườiTiếpXúc1" in text and "NgườiTiếpXúc450" in text
        sheet = load_workbook(io.BytesIO(api.get(finals["xlsx"][0]["download_url"]).content)
                              ).active
        table = list(sheet.values)
        assert len(table) == contacts + 1 and table[0][2] == "Họ tên"
        assert {row[2] for row in table[1:]} == {f"Người Tiếp Xúc {i}"
                                                 for i in range(1, contacts + 1)}
        assert {row[8] for row in table[1:]} == {60}
        after = api.get(f"/api/v1/tasks/{cancelled['id']}").json()
        assert (after["status"], after["done"], after["download_url"]) == ("cancelled", 0, None)


def test_the_api_upload_checks_before_a_task_and_the_worker_imports(env):
    officer = portal(env, "officer", "0912000914")
    health = portal(env, "officer", "0912000915", "health_officer", "75")
    with ApiServer(env, workers=1) as server, httpx.Client(base_url=server.url,
                                                           timeout=120) as client:
        def upload(token: str, body: bytes, kind: str = "establishments") -> httpx.Response:
            # A connection of its own: a server refusing a body it did not read (413)
            # closes the connection after its answer.
            with httpx.Client(base_url=server.url, timeout=120) as own:
                return own.post(f"/api/v1/imports/{kind}", headers=bearer(token),
                                files={"file": ("co-so.csv", body, "text/csv")})

        def refused(answer: httpx.Response, status: int, code: str) -> None:
            assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), \
                answer.text

        header = b"reg_no,name,area_code,sector\n"
        refused(upload(officer["token"], header + "DN1,Cơ sở Hòa,25993,trade\n"
                       .encode("latin-1", "replace")), 422, "csv_encoding")
        refused(upload(officer["token"], b"so,ten\nDN1,A\n"), 422, "csv_columns")
        refused(upload(officer["token"], header + b"DN1,A,25993,trade\n" * 1500), 413,
                "body_too_large")
        refused(upload(health["token"], header + b"DN1,A,25993,trade\n"), 403,
                "import_forbidden")
        refused(client.post("/api/v1/imports/establishments",
                            files={"file": ("co-so.csv", header, "text/csv")}),
                401, "unauthorized")
        # None of them left a task; the good file is the one.
        rows = "".join(f"DN{i:05d},Cơ sở số {i},25993,trade\n" for i in range(1, 301))
        good = upload(officer["token"], header + rows.encode() + b"DN1,x,25993,khong-co\n")
        assert good.status_code == 202, good.text
        task = good.json()
        assert (task["status"], task["label"]) == ("queued", "co-so.csv")
        assert portal(env, "rows")["tasks"] == 1
        with Worker(env) as worker, httpx.Client(base_url=server.url, timeout=120,
                                                 headers=bearer(officer["token"])) as api:
            final, _seen = follow(api, task["id"], 300, (worker,))
        assert final["status"] == "done", final
        assert (final["counts"], final["error_count"]) == ({"created": 300, "updated": 0}, 1)
        assert portal(env, "rows")["establishments"] == 300


def test_a_tasks_file_is_downloaded_by_an_admin_overseeing_its_owner_only(env):
    portal(env, "officer", "0912000920")  # the area tree
    portal(env, "establishments", "50")
    with ApiServer(env, workers=1) as server:
        officer = Officer(env, server.url, "0912000916", area="731")
        task_id = officer.export("/reports/compliance/", {"area": "731"}, "csv")
        with Worker(env) as worker:
            final, _seen = officer.follow(task_id, 120, (worker,))
        assert final["status"] == "done", final
        mine = officer.client.get(final["result_url"]).content
        assert mine.decode("utf-8-sig").count("\n") == 51
        admin = Officer(env, server.url, "0912000917", "admin", "75")
        auditor = portal(env, "officer", "0912000918", "auditor", "75")
        other_admin = Officer(env, server.url, "0912000919", "admin", "740")
        assert admin.client.get(final["result_url"]).content == mine
        with httpx.Client(base_url=server.url, timeout=60) as client:
            answer = client.get(final["download_url"], headers=bearer(auditor["token"]))
            assert answer.status_code == 200 and answer.content == mine
            for path in (f"/api/v1/tasks/{task_id}", final["download_url"]):
                answer = client.get(path, headers=bearer(other_admin.token))
                assert (answer.status_code, answer.json()["error"]["code"]) == \
                    (404, "task_not_found")
            refused = client.post(f"/api/v1/tasks/{task_id}/cancel", headers=bearer(admin.token))
            assert (refused.status_code, refused.json()["error"]["code"]) == \
                (403, "task_not_owner")
        assert other_admin.client.get(final["result_url"]).status_code == 404
