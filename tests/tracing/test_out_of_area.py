"""Registering a case for a person outside the officer's area waits for that area, and the
answer never tells whether the platform knows a phone: two provinces, through the API and
the page."""

from __future__ import annotations

import pytest
from django.test import Client

from kiemdich.accounts.models import Role
from kiemdich.privacy.models import AuditEntry
from kiemdich.tracing.models import Case, CaseRequest
from tests.tracing.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(world):
    """A resident of Trảng Dài (province 75) who sat at a café with a neighbour."""
    f0 = world.person("Cư Dân Đồng Nai", phone="+84912800000", id_number="075190000111")
    cafe = world.venue("Quán Bún Bò")
    neighbour = world.person("Hàng Xóm", phone="+84912800001")
    world.visit(f0, cafe, at(10, 10), at(10, 11))
    world.visit(neighbour, cafe, at(10, 10, 30), at(10, 11, 30))
    return f0


def register(client, person: dict):
    return client.post("/api/v1/cases", {"person": person,
                                         "confirmed_at": at(15, 12).isoformat()})


def shape(response) -> tuple[int, list[str], str, object]:
    body = response.json()
    return response.status_code, sorted(body), body["status"], body["case_id"]


def test_an_officer_of_another_province_only_asks_and_learns_nothing(khoa, mai, resident):
    khoa.user.display_name = "Cán bộ Khoa"
    khoa.user.save(update_fields=["display_name"])
    known = register(khoa, {"phone": "0912800000"})
    unknown = register(khoa, {"phone": "0912899999"})
    by_number = register(khoa, {"id_number": "075190000111"})
    unknown_number = register(khoa, {"id_number": "075190009999"})
    expected = (202, ["case_id", "created_at", "decided_at", "id", "status"], "pending", None)
    for answer in (known, unknown, by_number, unknown_number):
        assert shape(answer) == expected, answer.content
    # Nothing opened, nothing to read: no case, no visits, no contacts.
    assert Case.objects.count() == 0
    assert khoa.get("/api/v1/cases").json() == []
    # Their own list shows the requests alike.
    mine = khoa.get("/api/v1/case-requests").json()
    assert [(r["status"], r["case_id"]) for r in mine["mine"]] == [("pending", None)] * 4
    assert mine["to_decide"] == []

    # The province's health officer sees only the requests about its resident, with who.
    to_decide = mai.get("/api/v1/case-requests").json()["to_decide"]
    assert sorted(r["id"] for r in to_decide) == sorted([known.json()["id"],
                                                         by_number.json()["id"]])
    assert {r["person"]["display_name"] for r in to_decide} == {"Cư Dân Đồng Nai"}
    assert {r["requested_by"] for r in to_decide} == {"Cán bộ Khoa"}


def test_the_area_approves_and_the_requester_then_traces(khoa, mai, resident):
    asked = register(khoa, {"phone": "0912800000"}).json()
    # The requester cannot decide, nor can an officer of another area.
    refused = khoa.post(f"/api/v1/case-requests/{asked['id']}/approve")
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "case_request_not_found"

    approved = mai.post(f"/api/v1/case-requests/{asked['id']}/approve")
    assert approved.status_code == 200, approved.content
    case_id = approved.json()["case_id"]
    assert approved.json()["status"] == "approved" and case_id
    case = Case.objects.get(pk=case_id)
    assert case.created_by == khoa.user and case.area.code == "25993"
    # Now the requester traces it.
    exposures = khoa.get(f"/api/v1/cases/{case_id}/exposures")
    assert exposures.status_code == 200 and len(exposures.json()["contacts"]) == 1
    assert khoa.get("/api/v1/case-requests").json()["mine"][0]["case_id"] == case_id
    # Decided once.
    again = mai.post(f"/api/v1/case-requests/{asked['id']}/refuse")
    assert again.status_code == 404
    entries = list(AuditEntry.objects.filter(action__in=[
        "case_requested", "case_registered", "case_request_approved"]).order_by("id")
        .values_list("action", "actor_id"))
    assert entries == [("case_requested", khoa.user.pk), ("case_registered", mai.user.pk),
                       ("case_request_approved", mai.user.pk)]


def test_a_refused_request_opens_nothing(khoa, thu, resident):
    asked = register(khoa, {"phone": "0912800000"}).json()
    refused = thu.post(f"/api/v1/case-requests/{asked['id']}/refuse")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert refused.json()["case_id"] is None and Case.objects.count() == 0
    assert thu.post(f"/api/v1/case-requests/{asked['id']}/approve").status_code == 404


def test_the_own_area_and_a_province_level_role_open_at_once(make_officer, areas, mai,
                                                             resident):
    # A province-level role covers its communes.
    assert register(mai, {"phone": "0912800000"}).status_code == 201
    # A commune officer opens a case for their commune's resident, but only asks for the
    # next commune's; that commune's officer decides.
    own = make_officer("0912000070", Role.HEALTH_OFFICER, areas["25993"])
    other = make_officer("0912000071", Role.HEALTH_OFFICER, areas["25996"])
    assert register(own, {"phone": "0912800000"}).status_code == 201
    asked = register(other, {"phone": "0912800000"})
    assert asked.status_code == 202
    assert [r["id"] for r in own.get("/api/v1/case-requests").json()["to_decide"]] == [
        asked.json()["id"]]
    assert other.post(f"/api/v1/case-requests/{asked.json()['id']}/approve").status_code == 404


def test_a_person_without_an_area_is_decided_by_where_they_were_last_seen(world, khoa, mai,
                                                                         areas):
    drifter = world.person("Không Địa Chỉ", phone="+84912800005", commune=None)
    world.visit(drifter, world.venue("Quán Cuối", commune="25741"), at(12, 9), at(12, 10))
    # The last visit was in province 74: its officer opens the case at once.
    assert register(khoa, {"phone": "0912800005"}).status_code == 201
    assert register(mai, {"phone": "0912800005"}).status_code == 202


def test_bad_input_is_refused_alike_for_known_and_unknown(khoa, resident):
    for person in ({"phone": "0912800000"}, {"phone": "0912899999"}):
        future = khoa.post("/api/v1/cases", {"person": person,
                                             "confirmed_at": "2999-01-01T00:00:00+07:00"})
        assert future.status_code == 422
        assert future.json()["error"]["code"] == "confirmed_in_future"
    assert CaseRequest.objects.count() == 0
    assert khoa.post("/api/v1/case-requests/987654/approve").status_code == 404


def test_the_pages(khoa, mai, resident):
    asker = Client()
    asker.force_login(khoa.user)
    pages = []
    for phone in ("0912800000", "0912899999"):
        answer = asker.post("/tracing/new/", {
            "lookup": "phone", "value": phone, "confirmed_at": "2021-08-15T12:00",
            "margin_minutes": "60"}, follow=True)
        assert answer.status_code == 200
        pages.append(answer.content.decode())
    message = "Người này không thuộc địa bàn của bạn, hoặc chưa có trong hệ thống."
    assert all(message in page for page in pages)
    assert "Cư Dân Đồng Nai" not in pages[0]

    decider = Client()
    decider.force_login(mai.user)
    listing = decider.get("/tracing/").content.decode()
    assert "Cư Dân Đồng Nai" in listing and "Phê duyệt và mở ca" in listing
    request = CaseRequest.objects.filter(person=resident).get()
    opened = decider.post(f"/tracing/requests/{request.pk}/", {"decision": "approve"})
    case = Case.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"/tracing/{case.pk}/"
    assert asker.get(f"/tracing/{case.pk}/").status_code == 200
    assert decider.post(f"/tracing/requests/{request.pk}/",
                        {"decision": "refuse"}).status_code == 404
