"""The people an account manages, through the API as the mobile app uses it."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiemdich.core.protect import id_digest
from kiemdich.people.models import Person
from tests.people.support import add_child, ready

pytestmark = pytest.mark.django_db


def test_it_lists_the_self_person_made_at_first_login(lan):
    people = lan.get("/api/v1/people").json()
    assert len(people) == 1
    assert people[0]["is_self"] and people[0]["phone"] == "+84912000001"
    assert set(people[0]) >= {"id", "full_name", "birth_date", "gender", "id_number", "phone",
                              "area_code", "street", "nationality"}


def test_it_adds_a_dependant_with_the_contract_fields(lan, areas):
    child = add_child(lan, id_number="001 215 012 345", street="12 Lê Lợi")
    assert child["id_number"] == "001215012345"
    assert child["area_code"] == "25993" and child["street"] == "12 Lê Lợi"
    assert child["is_self"] is False and child["declared_today"] is False
    assert [p["full_name"] for p in lan.get("/api/v1/people").json()][1] == "Nguyễn Minh An"
    assert lan.get("/api/v1/me").json()["people"][1]["full_name"] == "Nguyễn Minh An"


def test_it_keeps_id_numbers_encrypted_at_rest_and_finds_them_by_digest(lan, areas):
    child = add_child(lan, id_number="079215012345")
    stored = Person.objects.get(pk=child["id"])
    assert "079215012345" not in stored.id_number_cipher
    assert stored.id_number_digest == id_digest("079215012345")
    assert stored.id_kind == "cccd"


@pytest.mark.parametrize("number, kind", [("012345678", "cmnd"), ("c1234567", "passport"),
                                          ("001090123456", "cccd")])
def test_it_accepts_the_three_id_shapes(lan, areas, number, kind):
    child = add_child(lan, id_number=number)
    assert Person.objects.get(pk=child["id"]).id_kind == kind


@pytest.mark.parametrize("number", ["12345", "0010901234567", "ABC", "１２３４５６７８９"])
def test_it_refuses_an_id_number_of_the_wrong_shape(lan, areas, number):
    response = lan.post("/api/v1/people", {"full_name": "An", "id_number": number})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "id_number_invalid"
    assert response.json()["error"]["field"] == "id_number"


@pytest.mark.parametrize("body, field", [
    ({}, "full_name"),
    ({"full_name": "   "}, "full_name"),
    ({"full_name": "An", "birth_date": "2999-01-01"}, "birth_date"),
    ({"full_name": "An", "birth_date": "yesterday"}, "birth_date"),
    ({"full_name": "An", "gender": "robot"}, "gender"),
    ({"full_name": "An", "phone": "12345"}, "phone"),
    ({"full_name": "An", "area_code": "99999"}, "area_code"),
])
def test_it_answers_422_naming_the_field(lan, areas, body, field):
    response = lan.post("/api/v1/people", body)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["field"] == field


def test_it_answers_404_for_another_accounts_person(lan, minh, areas):
    child = add_child(lan)
    for path in (f"/api/v1/people/{child['id']}", f"/api/v1/people/{child['id']}/qr",
                 f"/api/v1/people/{child['id']}/qr.png",
                 f"/api/v1/people/{child['id']}/card.pdf"):
        assert minh.get(path).status_code == 404, path
    assert minh.patch(f"/api/v1/people/{child['id']}", {"full_name": "X"}).status_code == 404
    assert minh.get("/api/v1/people/999999").status_code == 404


def test_it_needs_authentication(anon):
    assert anon.get("/api/v1/people").status_code == 401


def test_it_patches_only_the_given_fields(lan, areas):
    person_id = ready(lan)
    response = lan.patch(f"/api/v1/people/{person_id}", {"street": "5 Đồng Khởi"})
    assert response.json()["full_name"] == "Trần Thị Lan"
    assert response.json()["street"] == "5 Đồng Khởi"
    cleared = lan.patch(f"/api/v1/people/{person_id}", {"full_name": ""})
    assert cleared.status_code == 422 and cleared.json()["error"]["field"] == "full_name"


def test_it_never_writes_id_numbers_to_the_logs(lan, areas, caplog):
    caplog.set_level(logging.DEBUG)
    add_child(lan, id_number="079215012345")
    lan.post("/api/v1/people", {"full_name": "B", "id_number": "07921501234"})  # 11 digits
    child = lan.get("/api/v1/people").json()[1]
    lan.get(f"/api/v1/people/{child['id']}")
    lan.get("/api/v1/me/export")
    text = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert "079215012345" not in text and "07921501234" not in text


def test_health_officers_find_people_of_their_area_by_id_number(lan, areas, make_officer):
    add_child(lan, id_number="079215012345", commune="25993")
    inside = make_officer("0913000001", "health_officer", areas["75"])
    outside = make_officer("0913000002", "health_officer", areas["74"])
    citizen_view = lan.get("/api/v1/people/search", {"id_number": "079 215 012 345"})
    assert citizen_view.json() == []
    found = inside.get("/api/v1/people/search", {"id_number": "079 215 012 345"}).json()
    assert [p["display_name"] for p in found] == ["Nguyễn Minh An"]
    assert found[0]["id_number"] == "079215012345" and found[0]["masked"] is False
    assert outside.get("/api/v1/people/search", {"id_number": "079215012345"}).json() == []
    bad = inside.get("/api/v1/people/search", {"id_number": "123"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "id_number_invalid"


def test_it_limits_the_people_of_one_account(lan, areas):
    for n in range(19):
        assert lan.post("/api/v1/people", {"full_name": f"Người {n}"}).status_code == 201
    refused = lan.post("/api/v1/people", {"full_name": "Một người nữa"})
    assert refused.status_code == 409 and refused.json()["error"] == {
        "code": "too_many_people", "message": "Một tài khoản quản lý tối đa 20 người."}


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=60))
def test_it_never_answers_500_to_any_name_or_id_text(text):
    from kiemdich.core.errors import DomainError
    from kiemdich.people.services import _apply

    person = Person()
    try:
        _apply(person, {"full_name": text, "id_number": text, "phone": text}, partial=True)
    except DomainError as exc:
        assert exc.status == 422 and exc.field in {"full_name", "id_number", "phone"}


def test_a_second_person_with_the_same_id_number_is_refused(lan, minh, areas):
    first = add_child(lan, id_number="079215012345")
    again = lan.post("/api/v1/people", {"full_name": "Nguyễn Minh Hai",
                                        "id_number": "079215012345"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "id_number_taken"
    assert again.json()["error"]["field"] == "id_number"
    # Another account adding the same number, or giving it to its own person, is refused too.
    other = minh.post("/api/v1/people", {"full_name": "Lê Văn Tư", "id_number": "079215012345"})
    assert other.json()["error"]["code"] == "id_number_taken"
    me = minh.get("/api/v1/people").json()[0]["id"]
    patch = minh.patch(f"/api/v1/people/{me}", {"id_number": "079215012345"})
    assert patch.status_code == 409 and patch.json()["error"]["code"] == "id_number_taken"
    assert Person.objects.filter(full_name__in=["Nguyễn Minh Hai", "Lê Văn Tư"]).count() == 0
    # The person keeps their own number when it is sent again with other changes.
    same = lan.patch(f"/api/v1/people/{first['id']}", {"id_number": "079215012345",
                                                       "street": "7 Lê Lợi"})
    assert same.status_code == 200, same.content
