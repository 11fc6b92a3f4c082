"""Quarantine, lockdown and green zones: drawn by officers of the area on a commune or a
venue, shown on the area page and the map, their residents on the must-declare list while
in force, gone after the end date or when lifted; every change audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kiemdich.privacy.models import AuditEntry
from kiemdich.zones.models import Zone
from tests.people.support import answers, ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def tuan(areas, make_officer):
    """An officer of district 731 (communes 25993 and 25996), in the portal."""
    api = make_officer("0913600001", "officer", areas["731"])
    client = Client()
    client.force_login(api.user)
    client.api = api
    return client


def _today():
    return timezone.localdate()


def _draw(client, **fields):
    data = {"kind": "lockdown", "area_code": "25993", "venue_code": "",
            "starts_on": _today().isoformat(),
            "ends_on": (_today() + timedelta(days=14)).isoformat(), "reason": "Ổ dịch chợ"}
    data.update(fields)
    return client.post("/zones/new/", data)


def _must_declare(client, area="731") -> str:
    return client.get("/reports/compliance/", {"kind": "roster", "area": area}).content.decode()


def test_a_zone_drawn_shows_on_the_area_page_and_is_audited(tuan):
    response = _draw(tuan)
    assert response.status_code == 302 and response["Location"] == "/zones/"
    zone = Zone.objects.get()
    assert (zone.kind, zone.area.code, zone.created_by) == ("lockdown", "25993", tuan.api.user)
    entry = AuditEntry.objects.get(action="zone_drawn")
    assert entry.actor_id == tuan.api.user.pk and entry.target == f"zones.zone:{zone.pk}"
    assert entry.reason.startswith("lockdown area=25993 ")

    for area in ("731", "25993"):  # the district's page and the commune's
        page = tuan.get("/reports/", {"area": area}).content.decode()
        assert f'data-zone="{zone.pk}"' in page, area
    listing = tuan.get("/zones/").content.decode()
    assert f'data-zone="{zone.pk}"' in listing and "Ổ dịch chợ" in listing
    # Another commune's page does not show it.
    assert f'data-zone="{zone.pk}"' not in tuan.get("/reports/",
                                                   {"area": "25996"}).content.decode()


def test_residents_of_an_outbreak_zone_must_declare_until_it_ends(tuan, lan, make_client):
    ready(lan, commune="25993", name="Trần Thị Lan")
    neighbour = make_client("0912000006")
    ready(neighbour, commune="25993", name="Đỗ Văn Hùng")
    elsewhere = make_client("0912000005")
    ready(elsewhere, commune="25996", name="Phạm Văn Bình")
    assert "Trần Thị Lan" not in _must_declare(tuan)

    _draw(tuan)
    listing = _must_declare(tuan)
    assert "Trần Thị Lan" in listing and "Đỗ Văn Hùng" in listing
    assert "Phạm Văn Bình" not in listing
    assert AuditEntry.objects.filter(action="view_zone_residents").exists()

    me = lan.get("/api/v1/people").json()[0]["id"]
    assert lan.post(f"/api/v1/people/{me}/declarations", answers()).status_code == 201
    listing = _must_declare(tuan)
    assert "Trần Thị Lan" not in listing and "Đỗ Văn Hùng" in listing  # Lan declared today

    # The zone's days pass: from the day after its end it no longer applies.
    Zone.objects.update(starts_on=_today() - timedelta(days=20),
                        ends_on=_today() - timedelta(days=1))
    assert "Đỗ Văn Hùng" not in _must_declare(tuan)
    assert 'data-zone="' not in tuan.get("/reports/", {"area": "731"}).content.decode()


def test_green_zones_do_not_oblige_anyone(tuan, lan):
    ready(lan, commune="25993", name="Trần Thị Lan")
    assert _draw(tuan, kind="green").status_code == 302
    assert "Trần Thị Lan" not in _must_declare(tuan)


def test_officers_of_other_areas_and_citizens_cannot_draw(areas, make_officer, lan):
    other = Client()
    other.force_login(make_officer("0913600002", "officer", areas["740"]).user)
    refused = _draw(other)
    assert refused.status_code == 422 and 'data-error-code="area_unknown"' in \
        refused.content.decode()
    citizen = Client()
    citizen.force_login(lan.user)
    assert citizen.get("/zones/").status_code == 404
    assert _draw(citizen).status_code == 404
    assert lan.post("/api/v1/zones", {"kind": "lockdown", "area_code": "25993",
                                      "starts_on": _today().isoformat(),
                                      "ends_on": _today().isoformat()}).status_code == 404
    assert not Zone.objects.exists()


@pytest.mark.parametrize(("fields", "status", "code", "field"), [
    ({"ends_on": "2020-01-01", "starts_on": "2019-12-01"}, 422, "zone_dates", "ends_on"),
    ({"starts_on": "2030-01-10", "ends_on": "2030-01-09"}, 422, "zone_dates", "ends_on"),
    ({"area_code": "", "venue_code": ""}, 422, "zone_place", "area_code"),
    ({"venue_code": "K7QM2XHP"}, 422, "zone_place", "area_code"),  # both at once
    ({"area_code": "", "venue_code": "K7QM2XHP"}, 404, "venue_not_found", "venue_code"),
    ({"area_code": "731"}, 404, "area_unknown", "area_code"),  # a district, not a commune
])
def test_bad_zones_are_refused_by_the_api_with_stable_codes(tuan, fields, status, code,
                                                             field):
    body = {"kind": "quarantine", "area_code": "25993", "starts_on": _today().isoformat(),
            "ends_on": (_today() + timedelta(days=3)).isoformat(), **fields}
    response = tuan.api.post("/api/v1/zones", body)
    assert response.status_code == status
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code,
                                                                                   field)
    assert not Zone.objects.exists()


def test_a_venue_zone_is_marked_on_the_map_and_lifted_through_the_api(tuan, minh):
    venue = minh.post("/api/v1/venues", {
        "name": "Nhà máy Tân Phong", "venue_type": "factory", "area_code": "25996",
        "street": "1 KCN", "latitude": 10.95, "longitude": 106.84}).json()
    created = tuan.api.post("/api/v1/zones", {
        "kind": "quarantine", "venue_code": venue["code"], "starts_on": _today().isoformat(),
        "ends_on": (_today() + timedelta(days=7)).isoformat(), "reason": "F0 ở xưởng"})
    assert created.status_code == 201, created.content
    zone = created.json()
    assert (zone["venue_id"], zone["area_code"], zone["in_force"]) == (venue["id"], None, True)
    page = tuan.get("/zones/").content.decode()
    assert f'<rect data-zone="{zone["id"]}"' in page
    assert tuan.get("/reports/", {"area": "25996"}).content.decode().count(
        f'data-zone="{zone["id"]}"') == 1
    assert [z["id"] for z in tuan.api.get("/api/v1/zones").json()] == [zone["id"]]

    lifted = tuan.api.post(f"/api/v1/zones/{zone['id']}/lift")
    assert lifted.status_code == 200 and lifted.json()["in_force"] is False
    again = tuan.api.post(f"/api/v1/zones/{zone['id']}/lift")
    assert again.status_code == 409 and again.json()["error"]["code"] == "zone_ended"
    assert tuan.api.get("/api/v1/zones").json() == []
    assert len(tuan.api.get("/api/v1/zones", {"in_force": "false"}).json()) == 1
    assert AuditEntry.objects.filter(action="zone_lifted").count() == 1


def test_lifting_through_the_page_asks_first(tuan, lan):
    ready(lan, commune="25993", name="Trần Thị Lan")
    _draw(tuan)
    zone = Zone.objects.get()
    confirm = tuan.get(f"/zones/{zone.pk}/lift/")
    assert confirm.status_code == 200 and 'id="confirm-action"' in confirm.content.decode()
    assert Zone.objects.get().ended_at is None
    assert tuan.post(f"/zones/{zone.pk}/lift/").status_code == 302
    assert "Trần Thị Lan" not in _must_declare(tuan)
    again = tuan.post(f"/zones/{zone.pk}/lift/")
    assert again.status_code == 409 and 'data-error-code="zone_ended"' in again.content.decode()
    assert tuan.post(f"/zones/{zone.pk + 1000}/lift/").status_code == 404
    assert tuan.get(f"/zones/{zone.pk + 1000}/lift/").status_code == 404


def test_residents_count_in_the_must_declare_coverage(tuan, lan, make_client, areas):
    from kiemdich.reports import compliance, coverage

    ready(lan, commune="25993", name="Trần Thị Lan")
    ready(make_client("0912000006"), commune="25993", name="Đỗ Văn Hùng")
    me = lan.get("/api/v1/people").json()[0]["id"]
    lan.post(f"/api/v1/people/{me}/declarations", answers())
    roster = coverage.coverage(areas["731"], None, _today())[2]
    assert (roster.done, roster.total) == (0, 0)

    _draw(tuan)
    roster = coverage.coverage(areas["731"], None, _today())[2]
    assert (roster.done, roster.total) == (1, 2)
    rows = {row.area.code: row for row in compliance.by_area(areas["731"], None, _today())}
    assert (rows["25993"].roster.done, rows["25993"].roster.total,
            rows["25993"].undeclared) == (1, 2, 1)
    assert rows["25996"].roster.total == 0
    # Residents belong to no sector: a sector's coverage leaves them out.
    trade = coverage.coverage(areas["731"], frozenset({"trade"}), _today())[2]
    assert trade.total == 0
    page = tuan.get("/reports/coverage/", {"area": "731"}).content.decode()
    assert 'data-area="25993"' in page


def test_the_demo_draws_a_lockdown_and_a_green_zone_once(areas):
    from io import StringIO

    from kiemdich.accounts import demo as account_demo
    from kiemdich.zones import demo

    account_demo.seed(StringIO())
    demo.seed(StringIO())
    demo.seed(StringIO())  # safe to run again
    zones = Zone.objects.filter(starts_on__lte=_today(), ends_on__gte=_today())
    assert sorted(zones.values_list("kind", flat=True)) == ["green", "lockdown"]
    assert all(z.created_by is not None for z in zones)
