"""Owners register places through the API: one code per place, bad input named, rotation."""

from __future__ import annotations

import pytest

from kiemdich.core.errors import Invalid, NotFound
from kiemdich.privacy.models import AuditEntry
from kiemdich.venues.codes import ALPHABET
from kiemdich.venues.models import RetiredCode, Venue
from kiemdich.venues.services import venue_by_code
from tests.venues.conftest import place

pytestmark = pytest.mark.django_db


def test_it_registers_a_place_with_a_random_code_and_poster_links(minh, register, settings):
    body = register(minh, latitude=10.95, longitude=106.84, contact_phone="0912 000 999",
                    business_reg_no="3600123456", opening_hours="6:00–18:00")
    assert len(body["code"]) == 13 and set(body["code"]) <= set(ALPHABET)
    assert body["checkin_url"] == f"{settings.PUBLIC_BASE_URL}/v/{body['code']}"
    assert body["poster_pdf_url"].endswith(f"/api/v1/venues/{body['id']}/poster.pdf")
    assert body["poster_png_url"].endswith(f"/api/v1/venues/{body['id']}/poster.png")
    assert body["sector"] == "trade" and body["default_stay_minutes"] == 60
    assert body["contact_phone"] == "0912000999"
    assert body["address"] == ("12 Đường Đồng Khởi, Phường Tân Phong, Thành phố Biên Hòa, "
                               "Tỉnh Đồng Nai")
    assert AuditEntry.objects.filter(action="venue_registered").count() == 1


def test_it_lets_an_owner_hold_many_places_and_lists_only_their_own(minh, binh, register):
    register(minh)
    register(minh, name="Siêu thị Co.op", venue_type="supermarket", default_stay_minutes=45)
    register(binh, name="Phòng khám Hòa Bình", venue_type="clinic")
    names = [v["name"] for v in minh.get("/api/v1/venues").json()]
    assert names == ["Chợ Tân Phong", "Siêu thị Co.op"]
    assert minh.get("/api/v1/venues").json()[1]["default_stay_minutes"] == 45


def test_codes_differ_between_places(minh, register):
    codes = {register(minh, name=f"Cửa hàng {n}", venue_type="shop")["code"] for n in range(20)}
    assert len(codes) == 20


@pytest.mark.parametrize(("overrides", "field", "code"), [
    ({"area_code": "99999"}, "area_code", "area_unknown"),
    ({"area_code": "731"}, "area_code", "area_unknown"),  # a district, not a commune
    ({"area_code": ""}, "area_code", "required"),
    ({"venue_type": "spaceport"}, "venue_type", "venue_type_unknown"),
    ({"name": "   "}, "name", "required"),
    ({"name": "x" * 201}, "name", "too_long"),
    ({"street": ""}, "street", "required"),
    ({"street": "x" * 256}, "street", "too_long"),
    ({"latitude": 10.9}, "longitude", "gps_invalid"),
    ({"latitude": 48.85, "longitude": 2.35}, "latitude", "gps_invalid"),
    ({"contact_phone": "12345"}, "contact_phone", "phone_invalid"),
    ({"default_stay_minutes": 0}, "default_stay_minutes", "invalid"),
    ({"business_reg_no": "=1+1"}, "business_reg_no", "invalid"),
    ({"venue_type": "bus", "street": ""}, "vehicle_plate", "required"),
    ({"venue_type": "bus", "vehicle_plate": "ABC", "vehicle_route": "Số 5"},
     "vehicle_plate", "invalid"),
])
def test_it_refuses_bad_input_naming_the_field(minh, register, overrides, field, code):
    body = register(minh, expect=422, **overrides)
    assert body["error"]["code"] == code
    assert body["error"]["field"] == field
    assert Venue.objects.count() == 0


def test_it_refuses_malformed_json_types_with_422(minh, areas):
    response = minh.post("/api/v1/venues", place(name=123))
    assert response.status_code == 422 and response.json()["error"]["field"] == "name"
    response = minh.post("/api/v1/venues", {"name": "Chợ"})
    assert response.status_code == 422


def test_a_second_registration_of_the_same_place_is_refused_naming_the_first(
        minh, binh, register):
    first = register(minh)
    # Same place typed differently: case, accents and spacing do not make it another place.
    again = register(binh, expect=409, name="CHO TAN PHONG", street="12  duong Dong Khoi")
    assert again["error"]["code"] == "venue_duplicate"
    assert "Chợ Tân Phong" in again["error"]["message"]
    assert again["error"]["existing"]["name"] == "Chợ Tân Phong"
    assert "id" not in again["error"]["existing"]  # another owner's registration
    mine = register(minh, expect=409, name="chợ tân phong")
    assert mine["error"]["existing"]["id"] == first["id"]


def test_the_same_business_number_at_the_same_address_is_the_same_place(minh, register):
    register(minh, name="Công ty May Đồng Nai", venue_type="factory",
             business_reg_no="3600123456")
    body = register(minh, expect=409, name="May Đồng Nai – Xưởng 2", venue_type="factory",
                    business_reg_no="3600 123 456")
    assert body["error"]["code"] == "venue_duplicate"
    # The same company at another address is another place (a branch).
    register(minh, name="May Đồng Nai – Xưởng 2", venue_type="factory",
             business_reg_no="3600123456", street="5 Đường Nguyễn Ái Quốc")


def test_the_same_name_elsewhere_is_another_place(minh, register):
    register(minh)
    register(minh, area_code="26368")
    register(minh, street="14 Đường Đồng Khởi")


def test_a_closed_place_frees_its_address_and_cannot_reopen_over_a_new_one(minh, register):
    first = register(minh)
    closed = minh.patch(f"/api/v1/venues/{first['id']}", {"status": "closed"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    register(minh)
    reopen = minh.patch(f"/api/v1/venues/{first['id']}", {"status": "active"})
    assert reopen.status_code == 409 and reopen.json()["error"]["code"] == "venue_duplicate"


def test_vehicles_are_places_identified_by_their_plate(minh, binh, register):
    bus = register(minh, name="Xe buýt số 5", venue_type="bus", street="",
                   vehicle_plate="60B-012.34", vehicle_route="Biên Hòa – Long Thành")
    assert bus["vehicle_plate"] == "60B01234" and bus["sector"] == "transport"
    assert "Biên Hòa – Long Thành" in bus["address"]
    body = register(binh, expect=409, name="Tuyến 5", venue_type="bus", street="",
                    vehicle_plate="60b 01234", vehicle_route="Tuyến 5")
    assert body["error"]["code"] == "venue_duplicate"


def test_an_owner_edits_a_place_and_its_type_fixes_the_sector(minh, register):
    venue = register(minh)
    response = minh.patch(f"/api/v1/venues/{venue['id']}",
                          {"name": "Chợ Tân Phong mới", "venue_type": "supermarket"})
    assert response.status_code == 200, response.content
    assert response.json()["sector"] == "trade"
    response = minh.patch(f"/api/v1/venues/{venue['id']}", {"venue_type": "clinic"})
    assert response.json()["sector"] == "health"
    assert minh.patch(f"/api/v1/venues/{venue['id']}", {"name": ""}).status_code == 422
    assert minh.patch(f"/api/v1/venues/{venue['id']}", {"area_code": "0"}).status_code == 422


def test_another_owners_place_is_not_found(minh, binh, register):
    venue = register(minh)
    base = f"/api/v1/venues/{venue['id']}"
    for response in (binh.get(base), binh.patch(base, {"name": "Của tôi"}),
                     binh.post(f"{base}/rotate"), binh.get(f"{base}/poster.pdf"),
                     binh.get(f"{base}/poster.png"), binh.get(f"{base}/staff"),
                     binh.post(f"{base}/staff", {"phone": "0912000777"}),
                     binh.get(f"{base}/devices"), binh.post(f"{base}/devices", {"name": "x"})):
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "venue_unknown"
    assert binh.get("/api/v1/venues/999999").status_code == 404
    assert Venue.objects.get().name == "Chợ Tân Phong"


def test_anonymous_callers_are_refused(anon, areas):
    assert anon.post("/api/v1/venues", place()).status_code == 401
    assert anon.get("/api/v1/venues").status_code == 401


def test_rotation_retires_the_old_code(minh, register):
    venue = register(minh)
    old = venue["code"]
    response = minh.post(f"/api/v1/venues/{venue['id']}/rotate")
    assert response.status_code == 200
    new = response.json()["code"]
    assert new != old and response.json()["checkin_url"].endswith("/v/" + new)
    assert venue_by_code(new).pk == venue["id"]
    with pytest.raises(Invalid) as refused:
        venue_by_code(old)
    assert refused.value.code == "venue_code_retired" and refused.value.status == 422
    assert RetiredCode.objects.filter(code=old).exists()
    assert AuditEntry.objects.filter(action="venue_code_rotated").count() == 1


def test_a_code_is_found_as_typed_from_the_poster(minh, register):
    code = register(minh)["code"]
    typed = "-".join(code[i:i + 4] for i in range(0, 13, 4)).lower()
    assert venue_by_code(typed).code == code
    assert venue_by_code(code.replace("1", "l").replace("0", "o")).code == code
    with pytest.raises(NotFound) as unknown:
        venue_by_code("0000000000000")
    assert unknown.value.code == "venue_unknown"
    with pytest.raises(NotFound):
        venue_by_code("<script>")


def test_a_closed_places_code_is_refused(minh, register):
    venue = register(minh)
    minh.patch(f"/api/v1/venues/{venue['id']}", {"status": "closed"})
    with pytest.raises(Invalid) as refused:
        venue_by_code(venue["code"])
    assert refused.value.code == "venue_closed"


def test_venue_types_list_their_sector_and_labels(anon):
    types = {t["key"]: t for t in anon.get("/api/v1/venue-types").json()}
    for key in ("hospital", "clinic", "bus_station", "bus", "market", "supermarket",
                "restaurant", "school", "university", "enterprise", "factory", "agency",
                "quarantine_checkpoint", "other"):
        assert key in types
    assert types["hospital"]["sector"] == "health"
    assert types["hospital"]["label"] == "Bệnh viện"
    assert types["bus"]["is_vehicle"] is True
    assert {t["sector"] for t in types.values()} == {
        "health", "transport", "trade", "education", "labour", "government", "quarantine",
        "other"}
