"""Officers: special status for venues of their area, and the venue directory with exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from kiemdich.accounts.models import Role
from kiemdich.privacy.models import AuditEntry
from kiemdich.venues.models import Venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital(minh, register):
    return register(minh, name="Bệnh viện Đa khoa Long Thành", venue_type="hospital",
                    area_code="26368", street="1 Quốc lộ 51")


def test_an_officer_covering_the_venue_grants_and_revokes_special_status(
        hospital, make_officer, areas):
    tuan = make_officer("0913000001", Role.HEALTH_OFFICER, areas["740"])
    url = f"/api/v1/venues/{hospital['id']}/special"
    response = tuan.post(url, {"reason": "Bệnh viện tiếp nhận F0"})
    assert response.status_code == 200, response.content
    assert response.json() == {"id": hospital["id"], "is_special": True,
                               "special_reason": "Bệnh viện tiếp nhận F0"}
    venue = Venue.objects.get()
    assert venue.is_special and venue.special_granted_by == tuan.user
    entry = AuditEntry.objects.get(action="venue_special_granted")
    assert entry.actor_id == tuan.user.pk and entry.target == f"venues.venue:{venue.pk}"
    assert entry.reason == "Bệnh viện tiếp nhận F0"
    revoked = tuan.delete(url)
    assert revoked.status_code == 200, revoked.content
    assert revoked.json() == {"id": hospital["id"], "is_special": False, "special_reason": ""}
    assert not Venue.objects.get().is_special
    assert AuditEntry.objects.filter(action="venue_special_revoked").count() == 1


def test_special_status_is_granted_without_a_body(hospital, make_officer, areas):
    """The contract: `POST …/special` needs no body; the reason is optional."""
    tuan = make_officer("0913000001", Role.OFFICER, areas["75"])
    url = f"/api/v1/venues/{hospital['id']}/special"
    response = tuan.generic("POST", url, b"", **tuan._auth({}))  # no body, no content type
    assert response.status_code == 200, response.content
    assert response.json()["is_special"] is True
    assert Venue.objects.get().is_special
    entry = AuditEntry.objects.get(action="venue_special_granted")
    assert entry.actor_id == tuan.user.pk and entry.reason == ""


def test_old_clients_revoking_with_special_false_still_revoke(hospital, make_officer, areas):
    tuan = make_officer("0913000001", Role.OFFICER, areas["75"])
    url = f"/api/v1/venues/{hospital['id']}/special"
    assert tuan.post(url, {}).json()["is_special"] is True
    assert tuan.post(url, {"special": False, "reason": "Hết đợt dịch"}).json()[
        "is_special"] is False
    assert not Venue.objects.get().is_special


def test_a_special_status_reason_longer_than_500_characters_is_refused(
        hospital, make_officer, areas):
    tuan = make_officer("0913000001", Role.OFFICER, areas["75"])
    url = f"/api/v1/venues/{hospital['id']}/special"
    response = tuan.post(url, {"reason": "x" * 501})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "reason"
    assert not Venue.objects.get().is_special


def test_nobody_else_grants_special_status(hospital, minh, lan, make_officer, admin_client,
                                           areas):
    url = f"/api/v1/venues/{hospital['id']}/special"
    body = {"special": True, "reason": "Bệnh viện tiếp nhận F0"}
    outside = make_officer("0913000002", Role.OFFICER, areas["731"])  # another district
    other_sector = make_officer("0913000003", Role.OFFICER, areas["75"], "trade")
    inspector = make_officer("0913000004", Role.INSPECTOR, areas["75"])
    assert minh.post(url, body).status_code == 404  # the owner
    assert lan.post(url, body).status_code == 404
    assert outside.post(url, body).status_code == 404
    assert other_sector.post(url, body).status_code == 404
    assert inspector.post(url, body).status_code == 403  # sees it, may not grant
    assert not Venue.objects.get().is_special
    assert admin_client.post(url, body).status_code == 200


def test_the_owner_cannot_make_the_venue_special(hospital, minh):
    response = minh.patch(f"/api/v1/venues/{hospital['id']}", {"is_special": True})
    assert response.status_code == 200  # unknown fields are ignored by the schema…
    assert not Venue.objects.get().is_special  # …and never reach the venue


@pytest.fixture
def spread(minh, binh, register):
    register(minh, name="Chợ Trảng Dài", area_code="25993", street="1 Đường A")
    register(minh, name="Nhà thuốc Long Châu", venue_type="pharmacy", area_code="25996",
             street="2 Đường B")
    register(binh, name="Trường THCS Long Thành", venue_type="school", area_code="26368",
             street="3 Đường C")
    register(binh, name="=HYPERLINK(\"http://evil\")", venue_type="shop", area_code="26389",
             street="+84 Đường D")
    register(binh, name="Chợ Hiệp Thành", area_code="25741", street="4 Đường E")


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["name"] for r in response.json()["results"]]


def test_the_directory_lists_the_officers_area_with_filters(spread, make_officer, areas):
    district = make_officer("0913000010", Role.OFFICER, areas["731"])
    assert names(district.get("/api/v1/venues/directory")) == [
        "Chợ Trảng Dài", "Nhà thuốc Long Châu"]
    province = make_officer("0913000011", Role.OFFICER, areas["75"])
    assert province.get("/api/v1/venues/directory").json()["count"] == 4
    url = "/api/v1/venues/directory"
    assert names(province.get(url, {"sector": "health"})) == ["Nhà thuốc Long Châu"]
    assert names(province.get(url, {"venue_type": "school"})) == ["Trường THCS Long Thành"]
    assert names(province.get(url, {"area": "740"})) == [
        "Trường THCS Long Thành", "=HYPERLINK(\"http://evil\")"]
    assert names(province.get(url, {"q": "truong long thanh"})) == ["Trường THCS Long Thành"]
    assert names(province.get(url, {"special": "true"})) == []
    assert names(province.get(url, {"status": "closed"})) == []
    page = province.get(url, {"page": 2, "page_size": 3}).json()
    assert page["count"] == 4 and len(page["results"]) == 1
    # Another province's venue stays out of reach even when asked for.
    assert names(province.get(url, {"area": "74"})) == []
    trade = make_officer("0913000012", Role.OFFICER, areas["75"], "trade")
    assert names(trade.get(url)) == ["Chợ Trảng Dài", "=HYPERLINK(\"http://evil\")"]


def test_the_directory_refuses_bad_filters_and_non_officers(spread, make_officer, areas, lan):
    officer = make_officer("0913000011", Role.OFFICER, areas["75"])
    url = "/api/v1/venues/directory"
    assert officer.get(url, {"sector": "space"}).json()["error"]["field"] == "sector"
    assert officer.get(url, {"venue_type": "x"}).json()["error"]["field"] == "venue_type"
    assert officer.get(url, {"area": "0"}).json()["error"]["code"] == "area_unknown"
    assert officer.get(url, {"special": "maybe"}).status_code == 422
    assert officer.get(url, {"page_size": 1000}).status_code == 422
    assert lan.get(url).status_code == 403


def test_the_export_neutralises_formulas(spread, make_officer, areas):
    officer = make_officer("0913000011", Role.OFFICER, areas["75"])
    response = officer.get("/api/v1/venues/directory/export", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 5
    evil = next(r for r in rows if "HYPERLINK" in r[1])
    assert evil[1].startswith("'=") and evil[5].startswith("'+")
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)

    response = officer.get("/api/v1/venues/directory/export",
                           {"format": "xlsx", "sector": "trade"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    evil = next(c for c in cells if c.value and "HYPERLINK" in str(c.value))
    assert evil.data_type == "s" and evil.value.startswith("'=")
    assert sheet.max_row == 3


def test_the_export_is_for_officers_only(spread, lan):
    assert lan.get("/api/v1/venues/directory/export").status_code == 403
