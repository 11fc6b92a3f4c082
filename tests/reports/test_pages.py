"""The dashboard, the daily report and the public progress page, as officers use them."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.test import Client

from kiemdich.accounts.models import Role
from kiemdich.areas.models import Area
from kiemdich.reports import rollups
from tests.reports.gen import generate

DAY = date(2021, 10, 12)


@pytest.fixture
def data(areas):
    communes = list(Area.objects.leaves().order_by("code"))
    generate(communes, [DAY - timedelta(days=1), DAY], seed=3)
    rollups.refresh(since=DAY - timedelta(days=2), until=DAY)


def test_the_dashboard_drills_down_from_province_to_commune(data, portal):
    client = portal("0912000701", Role.OFFICER, Area.objects.get(code="75"))
    page = client.get("/reports/", {"area": "75", "date_from": DAY - timedelta(days=1),
                                    "date_to": DAY})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Thành phố Biên Hòa" in html and "Huyện Long Thành" in html
    assert "area=731" in html and "date_from=2021-10-11" in html  # links keep the filters
    assert "<svg" in html and "<polyline" in html and "style=" not in html
    district = client.get("/reports/", {"area": "731", "date_to": DAY}).content.decode()
    assert "Phường Trảng Dài" in district and "Huyện Long Thành" not in district
    commune = client.get("/reports/", {"area": "25993", "date_to": DAY})
    assert commune.status_code == 200


def test_the_dashboard_sorts_the_rows_on_the_server(data, portal):
    client = portal("0912000702", Role.OFFICER, Area.objects.get(code="75"))
    html = client.get("/reports/", {"area": "731", "date_to": DAY, "sort": "-name"}
                      ).content.decode()
    assert html.index("Phường Trảng Dài") < html.index("Phường Tân Phong")
    html = client.get("/reports/", {"area": "731", "date_to": DAY, "sort": "name"}
                      ).content.decode()
    assert html.index("Phường Tân Phong") < html.index("Phường Trảng Dài")


def test_a_district_officer_gets_404_for_another_district_page(data, portal):
    client = portal("0912000703", Role.OFFICER, Area.objects.get(code="731"))
    assert client.get("/reports/", {"area": "740"}).status_code == 404
    assert client.get("/reports/report.pdf", {"area": "740"}).status_code == 404
    assert client.get("/reports/coverage/", {"area": "75"}).status_code == 404


def test_bad_dates_are_422_on_the_page(data, portal):
    client = portal("0912000704", Role.OFFICER, Area.objects.get(code="731"))
    # dd/mm/yyyy is how the filter's dates are typed; a day that does not exist is refused.
    page = client.get("/reports/", {"date_from": "31/02/2021"})
    assert page.status_code == 422
    assert "Ngày không hợp lệ" in page.content.decode()


def test_a_citizen_has_no_dashboard(data):
    from kiemdich.accounts.services import account_for_phone

    client = Client()
    client.force_login(account_for_phone("0912000705"))
    assert client.get("/reports/").status_code == 404


def test_the_daily_report_command_writes_both_files(data, tmp_path):
    from django.core.management import call_command

    call_command("daily_report", "--area", "731", "--date", DAY.isoformat(),
                 "--out", str(tmp_path), stdout=io.StringIO())
    assert (tmp_path / "bao-cao-731-2021-10-12.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "bao-cao-731-2021-10-12.xlsx").stat().st_size > 0


def test_refresh_rollups_command_is_idempotent(data):
    from django.core.management import call_command

    from kiemdich.reports.models import DailyRollup

    before = list(DailyRollup.objects.order_by("day", "area", "sector", "venue_type")
                  .values_list("day", "area", "sector", "venue_type", "scans_in", "scans_out"))
    call_command("refresh_rollups", "--since", (DAY - timedelta(days=2)).isoformat(),
                 "--until", DAY.isoformat(), stdout=io.StringIO())
    after = list(DailyRollup.objects.order_by("day", "area", "sector", "venue_type")
                 .values_list("day", "area", "sector", "venue_type", "scans_in", "scans_out"))
    assert before == after and before


def test_the_progress_page_is_public(data, time_machine):
    time_machine.move_to("2021-10-12 10:00 +07:00")
    page = Client().get("/progress/", {"area": "75"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tỉnh Đồng Nai" in html and "Thành phố Biên Hòa" in html
    assert 'data-figure="venues_registered"' in html


def test_the_home_page_links_an_officer_to_the_reports(areas, portal):
    client = portal("0912000707", Role.OFFICER, Area.objects.get(code="731"))
    html = client.get("/").content.decode()
    assert "/reports/" in html and "/reports/coverage/" in html
