"""Who counts as a contact: exact expected contacts for each rule of the overlap."""

from __future__ import annotations

from datetime import datetime

import pytest

from kiemdich.people.models import Person
from tests.tracing.conftest import at, self_person

pytestmark = pytest.mark.django_db

F0_ID = "001090123456"


@pytest.fixture
def scene(world, make_client):
    """F0 (an account holder whose ID card was also scanned once) and people around them."""
    f0_client = make_client("0912400001")
    f0 = self_person(f0_client)
    f0.id_number_digest, f0.id_number_cipher = world.person(id_number=F0_ID).id_number_digest, ""
    f0.save()
    Person.objects.filter(id_number_digest=f0.id_number_digest).exclude(pk=f0.pk).delete()
    f0_card = world.person("NGUYEN VAN F", source="scanned", id_number=F0_ID)
    cafe = world.venue("Quán cà phê Sáng", stay=30, lat=10.95, lng=106.82)
    market = world.venue("Chợ Tân Hiệp", commune="25996", stay=60, lat=10.96, lng=106.86)
    bar = world.venue("Quán nhậu Đêm", stay=120)
    shop = world.venue("Tiệm tạp hóa", stay=15, lat=10.94, lng=106.80)
    elsewhere = world.venue("Nhà hàng khác", stay=60)
    p = {name: world.person(name) for name in (
        "touch_before", "touch_after", "inside", "margin_only", "open", "exit_only", "twice",
        "other_venue", "midnight", "midnight_touch", "overnight", "card_contact", "old", "shop")}
    parent = make_client("0912400002")
    child = world.person("Bé Na", account=parent.user)
    scanned = world.person("TRAN THI B", source="scanned", id_number="079190000111",
                           commune=None)

    # The F0 at the café 10:00-11:00 on 10/8: widened by 60 min, 09:00-12:00.
    world.visit(f0, cafe, at(10, 10), at(10, 11))
    world.visit(p["touch_before"], cafe, at(10, 8), at(10, 9))
    world.visit(p["touch_after"], cafe, at(10, 12), at(10, 13))
    world.visit(p["inside"], cafe, at(10, 11, 30), at(10, 12, 30))
    world.visit(p["margin_only"], cafe, at(10, 8, 30), at(10, 9, 30))
    # Never checked out: counts until closes_at (entry + the venue's 30 minutes).
    world.visit(p["open"], cafe, at(10, 11, 45), None, closes=at(10, 12, 15))
    # Only scanned leaving at 09:20: was there from 08:50 (default stay 30 min).
    world.visit(p["exit_only"], cafe, None, at(10, 9, 20))
    world.visit(p["twice"], cafe, at(10, 10), at(10, 10, 10))
    world.visit(p["twice"], cafe, at(10, 10, 50), at(10, 11, 10))
    world.visit(child, cafe, at(10, 10), at(10, 11), entry_method="self")
    world.visit(scanned, cafe, at(10, 9), at(10, 12), entry_method="staff", exit_method="staff")
    world.visit(p["other_venue"], elsewhere, at(10, 10), at(10, 11))
    # Across midnight at the bar: F0 23:30-00:30, widened 22:30-01:30.
    world.overnight(f0, bar, at(11, 23, 30), at(12, 0, 30))
    world.visit(p["midnight"], bar, at(12, 1), at(12, 2))
    world.overnight(p["overnight"], bar, at(11, 20), at(12, 3))
    world.visit(p["midnight_touch"], bar, at(11, 21), at(11, 22, 30))
    # The F0's ID card scanned at the market by staff: the same human, so it counts.
    world.visit(f0_card, market, at(13, 7), at(13, 8), entry_method="staff", exit_method="staff")
    world.visit(p["card_contact"], market, at(13, 8, 45), at(13, 9, 30))
    # Before the look-back window (14 days before the test on 15/8 12:00).
    world.visit(f0, shop, at(20, 10, month=7), at(20, 11, month=7))
    world.visit(p["old"], shop, at(20, 10, month=7), at(20, 11, month=7))
    return {"f0": f0, "f0_card": f0_card, "p": p, "child": child, "scanned": scanned,
            "venues": {"cafe": cafe, "market": market, "bar": bar, "shop": shop}}


def register(client, person=None, **extra):
    body = {"person": person or {"phone": "0912400001"},
            "confirmed_at": at(15, 12).isoformat(), **extra}
    return client.post("/api/v1/cases", body)


def test_it_finds_exactly_the_overlapping_people_ranked_by_minutes(mai, scene):
    response = register(mai)
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    data = mai.get(f"/api/v1/cases/{case_id}/exposures").json()
    p = scene["p"]
    expected = {
        scene["scanned"].pk: 180,  # 09:00-12:00, the whole widened interval
        scene["child"].pk: 60,  # a dependant checked in by a parent
        p["margin_only"].pk: 30,  # 09:00-09:30: only thanks to the margin
        p["twice"].pk: 30,  # 10 + 20 minutes, two visits
        p["inside"].pk: 30,  # 11:30-12:00
        p["midnight"].pk: 30,  # 01:00-01:30 the next day
        p["overnight"].pk: 180,  # 20:00-03:00 across midnight covers 22:30-01:30
        p["exit_only"].pk: 20,  # 09:00-09:20
        p["open"].pk: 15,  # 11:45-12:00
    }
    # Market: F0's card visit 07:00-08:00, widened 06:00-09:00; contact 08:45-09:30 → 15.
    expected[p["card_contact"].pk] = 15
    got = {c["person_id"]: c["overlap_minutes"] for c in data["contacts"]}
    assert got == expected
    ranked = [c["person_id"] for c in data["contacts"]]
    assert ranked[:3] == [scene["scanned"].pk, p["overnight"].pk, scene["child"].pk]
    # Equal minutes: the earlier first overlap first.
    assert ranked[3:7] == [p["margin_only"].pk, p["twice"].pk, p["inside"].pk, p["midnight"].pk]
    twice = next(c for c in data["contacts"] if c["person_id"] == p["twice"].pk)
    assert [e["overlap_minutes"] for e in twice["exposures"]] == [10, 20]
    assert twice["overlap_minutes"] == 30 and twice["venue_id"] == scene["venues"]["cafe"].pk
    assert datetime.fromisoformat(twice["overlap_start"]) == at(10, 10, 50)  # the longer one

    venues = [v["venue_id"] for v in data["visits"]]
    v = scene["venues"]
    assert venues == [v["cafe"].pk, v["bar"].pk, v["market"].pk]
    market = data["visits"][2]
    assert market["person_id"] == scene["f0_card"].pk and market["entry_method"] == "staff"
    assert set(data["visits"][0]) >= {"venue_id", "venue_name", "area_code", "entered_at",
                                      "left_at"}
    assert data["visits"][0]["area_code"] == "25993"


def test_touching_intervals_are_not_contacts(mai, scene):
    case_id = register(mai).json()["id"]
    ids = {c["person_id"] for c in mai.get(f"/api/v1/cases/{case_id}/exposures")
           .json()["contacts"]}
    p = scene["p"]
    for name in ("touch_before", "touch_after", "midnight_touch", "other_venue", "old"):
        assert p[name].pk not in ids, name
    assert scene["f0"].pk not in ids and scene["f0_card"].pk not in ids


def test_the_margin_is_set_per_case(mai, scene):
    case_id = register(mai, margin_minutes=0).json()["id"]
    got = {c["person_id"]: c["overlap_minutes"] for c in
           mai.get(f"/api/v1/cases/{case_id}/exposures").json()["contacts"]}
    p = scene["p"]
    assert got == {scene["scanned"].pk: 60, scene["child"].pk: 60, p["twice"].pk: 20,
                   p["overnight"].pk: 60}
    # Widen it again: the margin-only contact comes back.
    assert mai.patch(f"/api/v1/cases/{case_id}", {"margin_minutes": 60}).status_code == 200
    got = {c["person_id"] for c in
           mai.get(f"/api/v1/cases/{case_id}/exposures").json()["contacts"]}
    assert p["margin_only"].pk in got


def test_onset_moves_the_window(mai, scene):
    # Symptoms on 12/8: look back from 10/8 00:00 only — the café at 10:00 still counts,
    # the shop in July never did.
    case = register(mai, onset_at=at(12, 0).isoformat()).json()
    assert datetime.fromisoformat(case["window_start"]) == at(10, 0)
    assert datetime.fromisoformat(case["window_end"]) == at(15, 12)


def test_f2_expansion_finds_contacts_of_chosen_contacts(mai, world, scene):
    inside = scene["p"]["inside"]
    gym = world.venue("Phòng gym", stay=60)
    f2 = world.person("F2 gym")
    before = world.person("Gặp trước khi phơi nhiễm")
    world.visit(inside, gym, at(13, 14), at(13, 15))
    world.visit(f2, gym, at(13, 14, 30), at(13, 16))  # widened 13:00-16:00 → 90 min
    world.visit(inside, gym, at(9, 14), at(9, 15))  # before meeting the F0: not counted
    world.visit(before, gym, at(9, 14), at(9, 15))
    world.visit(scene["f0"], gym, at(13, 14), at(13, 15), )  # the F0 is never their own F2
    case_id = register(mai).json()["id"]

    response = mai.post(f"/api/v1/cases/{case_id}/f2", {"person_ids": [inside.pk]})
    assert response.status_code == 200, response.content
    rings = response.json()["rings"]
    assert [r["via_person_id"] for r in rings] == [inside.pk]
    got = {c["person_id"]: c["overlap_minutes"] for c in rings[0]["contacts"]}
    assert got[f2.pk] == 90
    assert before.pk not in got and scene["f0"].pk not in got

    bad = mai.post(f"/api/v1/cases/{case_id}/f2", {"person_ids": [before.pk]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "not_a_contact"


def test_it_finds_the_f0_by_id_number_and_by_scanned_qr(mai, scene):
    by_id = register(mai, person={"id_number": "001 090 123 456"})
    assert by_id.status_code == 201, by_id.content
    assert by_id.json()["person_id"] in (scene["f0"].pk, scene["f0_card"].pk)
    card = "001090123456|012345678|Nguyễn Văn F|01011990|Nam|Phường X, Tỉnh Y|15042021"
    by_qr = register(mai, person={"qr": card})
    assert by_qr.status_code == 201, by_qr.content
    # Either row is the same human: the exposures are the same.
    a = mai.get(f"/api/v1/cases/{by_id.json()['id']}/exposures").json()
    b = mai.get(f"/api/v1/cases/{by_qr.json()['id']}/exposures").json()
    assert a["contacts"] == b["contacts"] and len(a["visits"]) == 3


def test_it_finds_the_f0_by_their_platform_qr(mai, scene):
    from django.utils import timezone

    from kiemdich.people.codes import issue_app_code

    code, _ = issue_app_code(scene["f0"].public_id, timezone.now())
    response = register(mai, person={"qr": code})
    assert response.status_code == 201, response.content
    assert response.json()["person_id"] == scene["f0"].pk
