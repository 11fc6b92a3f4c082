"""Every figure of GET /api/v1/stats equals the truth counted from the raw rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kiemdich.accounts.models import Role
from kiemdich.areas.models import Area
from kiemdich.reports import rollups
from tests.reports.gen import generate, truth

DAYS = [date(2021, 10, 10) + timedelta(days=i) for i in range(4)]
FIGURES = ("venues_registered", "venues_active", "scans_in", "scans_out", "declarations",
           "declarants", "symptomatic", "citizens_registered")


def _leaf_ids(area: Area) -> set[int]:
    return set(Area.objects.subtree(area).leaves().values_list("pk", flat=True))


def _figures(row: dict) -> dict:
    return {k: row[k] for k in FIGURES}


@pytest.fixture
def data(areas):
    communes = list(Area.objects.leaves().order_by("code"))
    generated = generate(communes, DAYS, seed=7)
    rollups.refresh(since=DAYS[0] - timedelta(days=1), until=DAYS[-1] + timedelta(days=1))
    return generated


@pytest.mark.parametrize("date_from,date_to", [
    (DAYS[0], DAYS[0]), (DAYS[1], DAYS[2]), (DAYS[0], DAYS[-1]), (DAYS[-1], DAYS[-1])])
@pytest.mark.parametrize("code", ["75", "731", "740", "25993"])
def test_it_matches_the_raw_rows_per_area_and_child(data, areas, admin_client, code,
                                                    date_from, date_to):
    area = areas[code]
    response = admin_client.get("/api/v1/stats", {"area": code, "date_from": date_from,
                                                  "date_to": date_to})
    assert response.status_code == 200, response.content
    body = response.json()
    assert _figures(body["totals"]) == truth(data, _leaf_ids(area), date_from, date_to)
    children = list(area.children.order_by("code"))
    assert [r["area_code"] for r in body["rows"]] == [c.code for c in children]
    for child, row in zip(children, body["rows"], strict=True):
        assert _figures(row) == truth(data, _leaf_ids(child), date_from, date_to)


@pytest.mark.parametrize("sector", ["trade", "labour", "health"])
def test_it_limits_venue_figures_to_a_sector(data, areas, admin_client, sector):
    body = admin_client.get("/api/v1/stats", {"area": "75", "date_from": DAYS[0],
                                              "date_to": DAYS[-1], "sector": sector}).json()
    expected = truth(data, _leaf_ids(areas["75"]), DAYS[0], DAYS[-1], {sector})
    people = truth(data, _leaf_ids(areas["75"]), DAYS[0], DAYS[-1])
    for name in ("venues_registered", "venues_active", "scans_in", "scans_out"):
        assert body["totals"][name] == expected[name]
    for name in ("declarations", "declarants", "symptomatic", "citizens_registered"):
        assert body["totals"][name] == people[name]


def test_the_type_breakdown_and_trend_add_up(data, areas, admin_client):
    body = admin_client.get("/api/v1/stats", {"area": "75", "date_from": DAYS[0],
                                              "date_to": DAYS[-1]}).json()
    for name in ("venues_registered", "scans_in", "scans_out"):
        assert sum(r[name] for r in body["by_type"]) == body["totals"][name]
    by_day = {t["day"]: t for t in body["trend"]}
    for day in DAYS:
        one = truth(data, _leaf_ids(areas["75"]), day, day)
        assert by_day[day.isoformat()]["scans_in"] == one["scans_in"]
        assert by_day[day.isoformat()]["venues_active"] == one["venues_active"]
        assert by_day[day.isoformat()]["declarations"] == one["declarations"]


def test_refreshing_twice_changes_nothing(data, areas, admin_client):
    first = admin_client.get("/api/v1/stats", {"area": "75", "date_from": DAYS[0],
                                               "date_to": DAYS[-1]}).json()
    rollups.refresh(since=DAYS[0], until=DAYS[-1])
    again = admin_client.get("/api/v1/stats", {"area": "75", "date_from": DAYS[0],
                                               "date_to": DAYS[-1]}).json()
    assert first["totals"] == again["totals"] and first["rows"] == again["rows"]


def test_a_district_officer_sees_the_same_figures_for_their_district(data, areas,
                                                                      make_officer):
    officer = make_officer("0912000501", Role.OFFICER, areas["731"])
    body = officer.get("/api/v1/stats", {"area": "731", "date_from": DAYS[0],
                                         "date_to": DAYS[-1]}).json()
    assert _figures(body["totals"]) == truth(data, _leaf_ids(areas["731"]), DAYS[0], DAYS[-1])
