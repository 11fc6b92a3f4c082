"""Imports as long tasks, with the worker as deployed (`manage.py run_worker` in processes of
its own) and the API server as deployed, on SQLite and on PostgreSQL: a 200,000-row file
uploaded through the page is imported with its progress reported as it goes, its counts
and bad rows exact; cancelling stops it between two chunks, keeping what was written; a
worker killed with SIGKILL mid-import is replaced and the import completes once, no row
written twice."""

from __future__ import annotations

import csv
import io
import time

import httpx
import pytest

from tests.faults.harness import ApiServer, report
from tests.jobs.harness import Officer, Worker, portal, served_database

CHUNK = 5000  # kiemdich.reports.imports.CHUNK_ROWS


@pytest.fixture
def env(tmp_path):
    with served_database(tmp_path) as env:
        yield env


def establishments(n: int) -> tuple[str, list[list[str]]]:
    """n rows; every 10,000th has a bad sector, and row 150,001 repeats row 1's number."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["reg_no", "name", "area_code", "sector"])
    errors = []
    for i in range(1, n + 1):
        reg_no = "DN0000001" if i == 150_001 else f"DN{i:07d}"
        sector = "khong-co" if i % 10_000 == 0 else "trade"
        writer.writerow([reg_no, f"Cơ sở số {i}", "25993" if i % 2 else "25996", sector])
        if i % 10_000 == 0:
            errors.append([str(i + 1), "sector", "lĩnh vực không hợp lệ"])
        elif i == 150_001:
            errors.append([str(i + 1), "reg_no", "trùng với một dòng ở trên"])
    return out.getvalue(), errors


def roster(n: int) -> str:
    lines = ["full_name,phone,id_number"]
    lines += [f"Nguyễn Văn {i},0913{i:06d}," for i in range(n)]
    return "\n".join(lines) + "\n"


def test_an_import_of_200000_rows_reports_its_progress_and_exact_counts(env):
    text, errors = establishments(200_000)
    with ApiServer(env, workers=1) as server:
        officer = Officer(env, server.url)
        task_id = officer.upload("establishments", text)
        assert officer.status(task_id)["status"] == "queued"
        started = time.monotonic()
        with Worker(env) as worker:
            final, seen = officer.follow(task_id, 300, (worker,))
        seconds = time.monotonic() - started
        assert final["status"] == "done", final
        assert (final["done"], final["total"], final["percent"]) == (200_000, 200_000, 100)
        assert final["counts"] == {"created": 200_000 - 21, "updated": 0}
        assert final["error_count"] == 21
        # The progress was committed chunk by chunk and seen moving.
        moving = [done for done in seen if 0 < done < 200_000]
        assert len(moving) >= 3, seen
        assert all(done % CHUNK == 0 for done in moving)
        assert seen == sorted(seen)
        answer = officer.client.get(final["errors_url"])
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert rows == [["Dòng", "Cột", "Lý do"], *errors]
        page = officer.client.get(final["page_url"]).text
        assert "tạo mới 199.979, cập nhật 0" in page and 'value="100"' in page
    assert portal(env, "rows")["establishments"] == 200_000 - 21
    report("import 200,000 rows", seconds=round(seconds, 1),
           rows_per_second=round(200_000 / seconds), progress_values=len(seen))


def test_a_cancelled_import_stops_between_chunks_and_keeps_what_it_wrote(env):
    text, _errors = establishments(200_000)
    with ApiServer(env, workers=1) as server:
        officer = Officer(env, server.url)
        task_id = officer.upload("establishments", text)
        with Worker(env) as worker:
            officer.follow(task_id, 300, (worker,), until=lambda s: s["done"] >= 2 * CHUNK)
            answer = officer.client.post(f"/api/v1/tasks/{task_id}/cancel",
                                         headers={"X-CSRFToken": officer.csrf()})
            assert answer.status_code == 202, answer.text
            assert answer.json()["cancel_requested"] is True
            final, _seen = officer.follow(task_id, 120, (worker,))
        assert final["status"] == "cancelled"
        assert 0 < final["done"] < 200_000
        written = final["counts"]["created"] + final["error_count"]
        assert written == final["done"]
        assert portal(env, "rows")["establishments"] == final["counts"]["created"]
        page = officer.client.get(final["page_url"]).text
        assert "Các phần đã ghi trước khi hủy vẫn được giữ" in page
        again = officer.client.post(f"/api/v1/tasks/{task_id}/cancel",
                                    headers={"X-CSRFToken": officer.csrf()})
        assert again.status_code == 409 and again.json()["error"]["code"] == "task_finished"


def test_a_worker_killed_mid_import_is_replaced_and_the_import_completes_once(env):
    rows = 100_000
    with ApiServer(env, workers=1) as server:
        officer = Officer(env, server.url)
        task_id = officer.upload("roster", roster(rows), organisation="Công ty May Đồng Nai",
                                 organisation_area="25993", organisation_sector="labour")
        first = Worker(env).start()
        try:
            at_kill, _seen = officer.follow(task_id, 300, (first,),
                                            until=lambda s: s["done"] >= 2 * CHUNK)
            first.kill()
        finally:
            first.stop()
        cut = officer.status(task_id)
        assert cut["status"] == "running" and cut["done"] < rows
        with Worker(env) as second:
            final, _seen = officer.follow(task_id, 300, (second,))
        assert final["status"] == "done", final
        assert (final["done"], final["total"], final["error_count"]) == (rows, rows, 0)
        # Every row created once: a chunk counted twice would show as "updated".
        assert final["counts"] == {"created": rows, "updated": 0}
    written = portal(env, "rows")
    assert (written["roster"], written["roster_keys"], written["roster_repeated"]) == \
        (rows, rows, 0)
    report("import killed and resumed", done_at_kill=cut["done"], rows=rows)


def test_another_account_gets_404_for_a_task(env):
    with ApiServer(env, workers=1) as server:
        officer = Officer(env, server.url)
        task_id = officer.upload("establishments", establishments(10)[0])
        stranger = portal(env, "officer", "0912000902")
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for path in (f"/api/v1/tasks/{task_id}", "/api/v1/tasks/999999"):
                answer = client.get(path, headers={"Authorization": f"Bearer {stranger['token']}"})
                assert answer.status_code == 404
                assert answer.json()["error"]["code"] == "task_not_found"
            assert client.get(f"/api/v1/tasks/{task_id}").status_code == 401
        assert officer.status(task_id)["status"] == "queued"
