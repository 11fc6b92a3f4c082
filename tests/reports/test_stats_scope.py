"""Who may read the figures, and how bad filters are answered."""

from __future__ import annotations

import pytest

from kiemdich.accounts.models import Role


@pytest.fixture
def district_officer(areas, make_officer):
    return make_officer("0912000601", Role.OFFICER, areas["731"])


def test_it_needs_a_login(areas, anon):
    assert anon.get("/api/v1/stats", {"area": "75"}).status_code == 401


def test_a_citizen_is_refused(areas, lan):
    response = lan.get("/api/v1/stats", {"area": "75"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_an_officer"


def test_a_district_officer_never_sees_another_district(district_officer):
    for code in ("740", "26368", "75", "74", "25741"):
        response = district_officer.get("/api/v1/stats", {"area": code})
        assert response.status_code == 404, code
        assert response.json()["error"]["code"] == "area_unknown"


def test_a_district_officer_sees_their_district_and_its_communes(district_officer):
    assert district_officer.get("/api/v1/stats", {"area": "731"}).status_code == 200
    assert district_officer.get("/api/v1/stats", {"area": "25993"}).status_code == 200
    body = district_officer.get("/api/v1/stats").json()
    assert body["area_code"] == "731"
    assert [r["area_code"] for r in body["rows"]] == ["25993", "25996"]


def test_an_unknown_area_is_404(district_officer):
    assert district_officer.get("/api/v1/stats", {"area": "99999"}).status_code == 404


def test_a_sector_limited_officer_sees_only_their_sector(areas, make_officer):
    trade = make_officer("0912000602", Role.OFFICER, areas["75"], "trade")
    assert trade.get("/api/v1/stats", {"area": "75"}).json()["sector"] == "trade"
    assert trade.get("/api/v1/stats", {"area": "75", "sector": "health"}).status_code == 404
    assert trade.get("/api/v1/stats", {"area": "75", "sector": "trade"}).status_code == 200


@pytest.mark.parametrize("params,code,message", [
    ({"date_from": "2021-13-01"}, "date_invalid",
     "Ngày không hợp lệ (cần dạng dd/mm/yyyy hoặc YYYY-MM-DD)."),
    ({"date_to": "yesterday"}, "date_invalid",
     "Ngày không hợp lệ (cần dạng dd/mm/yyyy hoặc YYYY-MM-DD)."),
    ({"date_from": "2021-10-10", "date_to": "2021-10-01"}, "date_range_invalid",
     "Ngày kết thúc trước ngày bắt đầu."),
    ({"date_from": "2021-01-01", "date_to": "2021-12-31"}, "date_range_too_long",
     "Khoảng thời gian quá dài (tối đa 92 ngày)."),
    ({"sector": "casino"}, "sector_invalid", "Lĩnh vực không hợp lệ."),
])
def test_bad_filters_are_422(district_officer, params, code, message):
    response = district_officer.get("/api/v1/stats", {"area": "731", **params})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["message"]) == \
        (code, message)


def test_the_maximum_range_is_configurable(district_officer, settings):
    settings.REPORT_MAX_RANGE_DAYS = 7
    ok = {"area": "731", "date_from": "2021-10-01", "date_to": "2021-10-07"}
    assert district_officer.get("/api/v1/stats", ok).status_code == 200
    assert district_officer.get("/api/v1/stats", {**ok, "date_to": "2021-10-08"}
                                ).status_code == 422


def test_the_openapi_document_describes_stats(anon):
    schema = anon.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/stats"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"area", "date_from", "date_to",
                                                             "sector"}
    assert "200" in operation["responses"] and "404" in operation["responses"]
