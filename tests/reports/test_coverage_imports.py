"""CSV imports with bad rows, all-or-nothing, coverage against targets, compliance exports.

An import is a long task: these tests take its run from the queue in this process (the
worker's own process is tested in tests/jobs/test_imports.py)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiemdich.accounts.models import Role, User
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.core import clock
from kiemdich.declarations.models import Declaration
from kiemdich.jobs import tasks
from kiemdich.jobs.models import Task
from kiemdich.people.models import Person
from kiemdich.reports import coverage, imports, rollups
from kiemdich.reports.models import Establishment, Population, RosterMember
from kiemdich.venues.models import Venue
from tests.conftest import page_export, run_queued_tasks


def _upload(client, kind: str, text: str, **extra):
    response = client.post("/reports/imports/", {
        "kind": kind, "file": SimpleUploadedFile("data.csv", text.encode("utf-8")), **extra})
    run_queued_tasks()
    return response


def _errors(client, task: Task) -> list[list[str]]:
    response = client.get(f"/jobs/tasks/{task.pk}/errors.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))[1:]


@pytest.fixture
def officer(areas, portal):
    return portal("0912000801", Role.OFFICER, areas["731"])


def test_good_rows_import_and_bad_rows_are_reported_by_line(officer):
    text = ("area_code,population\n25993,12000\n26368,5000\n25996,abc\n99999,10\n"
            "25996,8000\n25993,1\n")
    response = _upload(officer, "population", text)
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/tasks/{task.pk}/"
    assert task.status == "done" and task.done == task.total == 6
    assert task.counts == {"created": 2, "updated": 0} and task.error_count == 4
    assert _errors(officer, task) == [
        ["3", "area_code", "địa bàn ngoài phạm vi của bạn"],
        ["4", "population", "dân số phải là số nguyên không âm"],
        ["5", "area_code", "mã xã/phường không tồn tại"],
        ["7", "area_code", "trùng với một dòng ở trên"]]
    assert dict(Population.objects.values_list("area__code", "residents")) == {
        "25993": 12000, "25996": 8000}
    page = officer.get(response["Location"]).content.decode()
    assert "Đã xử lý 6/6 dòng" in page and "<progress" in page
    assert "tạo mới 2, cập nhật 0" in page and "errors.csv" in page
    again = _upload(officer, "population", "area_code,population\n25993,13000\n")
    assert again.status_code == 302
    assert Task.objects.latest("pk").counts == {"created": 0, "updated": 1}
    assert Population.objects.get(area__code="25993").residents == 13000


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(officer):
    text = "reg_no,name,area_code,sector\nDN1,Chợ Tân Phong,25996,trade\nDN2,,25993,trade\n"
    _upload(officer, "establishments", text, all_or_nothing="on")
    task = Task.objects.get()
    assert task.status == "rejected" and task.counts == {}
    assert _errors(officer, task) == [["3", "name", "tên cơ sở trống hoặc quá dài"]]
    assert not Establishment.objects.exists()
    page = officer.get(f"/jobs/tasks/{task.pk}/").content.decode()
    assert "Không dòng nào được nhập" in page


def test_all_or_nothing_imports_every_row_when_none_is_bad(officer):
    text = "reg_no,name,area_code,sector\nDN1,Chợ Tân Phong,25996,trade\nDN2,B,25993,trade\n"
    _upload(officer, "establishments", text, all_or_nothing="on")
    task = Task.objects.get()
    assert (task.status, task.counts, task.error_count) == ("done", {"created": 2,
                                                                     "updated": 0}, 0)
    assert sorted(Establishment.objects.values_list("reg_no", flat=True)) == ["DN1", "DN2"]


def test_a_file_without_the_columns_or_not_utf8_is_refused(officer):
    assert _upload(officer, "population", "code,people\n1,2\n").status_code == 422
    response = officer.post("/reports/imports/", {
        "kind": "population", "file": SimpleUploadedFile("x.csv", "ă".encode("utf-16"))})
    assert response.status_code == 422 and "UTF-8" in response.content.decode()
    late = b"area_code,population\n" + b"25993,1\n" * 200_000 + b"\xff\n"
    response = officer.post("/reports/imports/", {
        "kind": "population", "file": SimpleUploadedFile("late.csv", late)})
    assert response.status_code == 422 and "UTF-8" in response.content.decode()
    assert not Task.objects.exists()


def test_a_file_csv_cannot_read_fails_the_task_with_its_line(officer):
    # A cell longer than CSV's field limit (128 KiB) is no table any more.
    _upload(officer, "population", 'area_code,population\n25993,1\n25996,"' + "9" * 200_000
            + '"\n')
    task = Task.objects.get()
    assert task.status == "failed" and task.message.startswith("Tệp CSV hỏng")
    assert not Population.objects.exists()


def test_a_roster_matches_declarations_by_phone_and_id_number(areas, officer):
    text = ("full_name,phone,id_number\nNguyễn Văn An,0912 111 222,\n"
            "Trần Thị Bình,,001090123456\nLê Văn C,12345,\nPhạm D,,\n"
            "Nguyễn Văn An,+84912111222,\n")
    _upload(officer, "roster", text, organisation="UBND Phường Trảng Dài",
            organisation_area="25993", organisation_sector="government")
    task = Task.objects.get()
    assert task.counts == {"created": 2, "updated": 0}
    assert [row[:2] for row in _errors(officer, task)] == [["4", "phone"], ["5", "phone"],
                                                          ["6", "phone"]]
    assert set(RosterMember.objects.values_list("phone", flat=True)) == {"+84912111222", ""}
    from kiemdich.core.protect import id_digest

    today = clock.today()
    account = User.objects.create_user("0912111222")
    me = Person.objects.create(account=account, is_self=True, area=areas["25993"])
    Declaration.objects.create(person=me, created_at=timezone.now(), local_date=today,
                               area=areas["25993"])
    figures = coverage.coverage(areas["731"], None, today)
    assert (figures[2].done, figures[2].total, figures[2].level) == (1, 2, "bad")
    other = Person.objects.create(full_name="B", id_number_digest=id_digest("001090123456"))
    Declaration.objects.create(person=other, created_at=timezone.now(), local_date=today)
    figures = coverage.coverage(areas["731"], None, today)
    assert (figures[2].done, figures[2].level) == (2, "ok")


def test_coverage_is_coloured_against_the_targets(areas, officer):
    Population.objects.create(area=areas["25993"], residents=10)
    owner = User.objects.create_user("0912000802")
    people = [Person(account=User.objects.create_user(f"091200090{i}"), is_self=True,
                     area=areas["25993"]) for i in range(4)]
    Person.objects.bulk_create(people)
    Establishment.objects.create(reg_no="3600001", name="A", area=areas["25993"],
                                 sector="trade")
    Establishment.objects.create(reg_no="3600002", name="B", area=areas["25996"],
                                 sector="trade")
    Venue.objects.create(code="V1", name="A", venue_type="market", sector="trade",
                         area=areas["25993"], street="x", place_key="a", owner=owner,
                         default_stay_minutes=60, business_reg_no="3600001")
    rollups.refresh(since=clock.today(), until=clock.today())
    residents, venues, roster = coverage.coverage(areas["731"], None, clock.today())
    assert (residents.percent, residents.level) == (40.0, "warn")
    assert (venues.done, venues.total, venues.level) == (1, 2, "bad")
    assert roster.level == "none"
    html = officer.get("/reports/coverage/", {"area": "731"}).content.decode()
    assert 'data-level="warn"' in html and 'data-level="bad"' in html
    listing = officer.get("/reports/compliance/", {"area": "731"}).content.decode()
    assert "3600002" in listing and "3600001" not in listing


def test_exports_neutralise_formulas(areas, officer):
    Establishment.objects.create(reg_no="DN9", name='=HYPERLINK("http://x","y")',
                                 area=areas["25993"], sector="trade")
    response = page_export(officer, "/reports/compliance/", {"area": "731"}, "csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1] == "'=HYPERLINK(\"http://x\",\"y\")"
    response = page_export(officer, "/reports/compliance/", {"area": "731"}, "xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["B2"].value.startswith("'=") and sheet["B2"].data_type == "s"
    # Named in words for whoever opens the file, as the page names the list.
    assert sheet.title == "Cơ sở chưa đăng ký địa điểm"
    assert [c.value for c in sheet[1]] == ["Số đăng ký", "Tên cơ sở", "Lĩnh vực", "Xã/phường"]
    assert sheet["C2"].value == "Công thương"


def test_silent_venues_are_listed_from_the_rollups(areas, officer):
    owner = User.objects.create_user("0912000803")
    quiet, busy = (Venue.objects.create(
        code=f"Q{i}", name=name, venue_type="shop", sector="trade", area=areas["25993"],
        street="x", place_key=name, owner=owner, default_stay_minutes=30) for i, name in
        enumerate(["Quán im lặng", "Quán đông"]))
    Venue.objects.filter(pk__in=[quiet.pk, busy.pk]).update(
        created_at=timezone.now() - timedelta(days=30))
    from kiemdich.scans.models import Scan

    Scan.objects.create(venue=busy, direction="in", method="staff", scanned_at=timezone.now(),
                        received_at=timezone.now())
    rollups.refresh()
    html = officer.get("/reports/compliance/", {"area": "731", "kind": "venues",
                                                "days": "7"}).content.decode()
    assert "Quán im lặng" in html and "Quán đông" not in html
    assert officer.get("/reports/compliance/", {"area": "731", "kind": "venues",
                                                "days": "0"}).status_code == 422


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=5), max_size=6))
def test_any_csv_content_gives_a_report_not_a_crash(areas, rows):
    user = User.objects.get_or_create(phone="+84912000804")[0]
    from kiemdich.accounts.services import grant_role

    grant_role("0912000804", Role.OFFICER, Area.objects.get(code="75"))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["reg_no", "name", "area_code", "sector"])
    writer.writerows(rows)
    task = imports.start_import(Scope(user), user, "establishments",
                                [buffer.getvalue().encode("utf-8")])
    assert tasks.execute(task.pk) == "done"
    task.refresh_from_db()
    # Blank lines are no rows; every other line is imported or reported.
    assert sum(task.counts.values()) + task.error_count == task.total == \
        len([r for r in rows if r])
