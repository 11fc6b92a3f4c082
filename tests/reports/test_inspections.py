"""Inspectors record visits in their area; lists filter and export within scope."""

from __future__ import annotations

import csv
import io

import pytest

from kiemdich.accounts.models import Role, User
from kiemdich.reports.models import Inspection, ViolationCategory
from kiemdich.venues.models import Venue
from tests.conftest import page_export

# Venue codes as the platform draws them (13 characters of Crockford's alphabet).
CODES = {"25993": "VN25993AAAAAA", "26368": "VN26368AAAAAA"}


@pytest.fixture
def venues(areas):
    owner = User.objects.create_user("0912000901")
    return {code: Venue.objects.create(
        code=CODES[code], name=f"Chợ {code}", venue_type="market", sector="trade",
        area=areas[code], street="x", place_key=code, owner=owner, default_stay_minutes=60)
        for code in ("25993", "26368")}


@pytest.fixture
def inspector(areas, portal):
    return portal("0912000902", Role.INSPECTOR, areas["731"])


def _form(**changes) -> dict:
    return {"venue_code": CODES["25993"], "inspected_at": "2021-10-12T09:30",
            "poster_displayed": "on", "result": "compliant", "notes": "", **changes}


def test_the_catalogue_holds_decree_117_articles(db):
    references = list(ViolationCategory.objects.values_list("legal_reference", flat=True))
    assert any(r.startswith("Điều 12") and "117/2020/NĐ-CP" in r for r in references)


def test_an_inspector_records_a_violation_with_a_fine(venues, inspector):
    response = inspector.post("/reports/inspections/new/", _form(
        result="violation", violation="nd117-d12-k1", fine="2000000", notes="Không niêm yết"))
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.violation.code == "nd117-d12-k1" and inspection.fine == 2_000_000
    assert inspection.area.code == "25993" and inspection.poster_displayed
    html = inspector.get("/reports/inspections/", {"result": "violation"}).content.decode()
    assert "Chợ 25993" in html and "Điều 12 khoản 1" in html


@pytest.mark.parametrize("typed", ["vn25-993a-aaaa-a", " VN25 993A AAAA A ", "vn25993aaaaaa"])
def test_the_posters_manual_code_is_taken_as_typed(venues, inspector, typed):
    """As printed under "Mã nhập tay" (blocks of four), or not; any case; spaces around."""
    response = inspector.post("/reports/inspections/new/", _form(venue_code=typed))
    assert response.status_code == 302, response.content.decode()[:500]
    assert Inspection.objects.get().venue_id == venues["25993"].pk


@pytest.mark.parametrize("changes,message", [
    ({"venue_code": CODES["26368"]}, "Không có địa điểm mã này"),
    ({"venue_code": "NOPE"}, "gồm 13 chữ và số"),
    ({"venue_code": "VN25993AAAAA!"}, "gồm 13 chữ và số"),
    ({"result": "violation"}, "Cần chọn hành vi vi phạm"),
    ({"result": "violation", "violation": "nd117-d12-k1", "fine": "100"}, "ngoài khung"),
    ({"fine": "500000"}, "Chỉ phạt tiền khi có vi phạm"),
    ({"inspected_at": "2999-01-01T00:00"}, "tương lai"),
    ({"inspected_at": "hôm qua"}, ""),
])
def test_bad_inspections_are_refused(venues, inspector, changes, message):
    response = inspector.post("/reports/inspections/new/", _form(**changes))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Inspection.objects.exists()


def test_lists_stay_in_scope_and_export_safely(venues, areas, inspector, portal):
    Inspection.objects.create(venue=venues["25993"], area=areas["25993"], sector="trade",
                              inspected_at="2021-10-12T02:00Z", result="reminded",
                              notes="=cmd|' /C calc'!A0")
    Inspection.objects.create(venue=venues["26368"], area=areas["26368"], sector="trade",
                              inspected_at="2021-10-12T02:00Z", result="compliant")
    response = page_export(inspector, "/reports/inspections/", {}, "csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][1] == CODES["25993"]
    # Result and yes/no columns in words, not codes or marks.
    header = rows[0]
    assert rows[1][header.index("Kết quả")] == "Nhắc nhở"
    assert rows[1][header.index("Niêm yết mã QR")] == "Không"
    assert rows[1][-1].startswith("'=")
    other = portal("0912000903", Role.INSPECTOR, areas["740"])
    assert CODES["25993"] not in other.get("/reports/inspections/").content.decode()
    health_only = portal("0912000904", Role.INSPECTOR, areas["75"], "health")
    assert "Chợ" not in health_only.get("/reports/inspections/").content.decode()
    citizen = portal("0912000905", Role.HEALTH_OFFICER, areas["75"])
    assert citizen.get("/reports/inspections/new/").status_code == 404
