"""Exposure notices: in-app and SMS, the approval of large batches, the log (pauses:
test_pauses.py)."""

from __future__ import annotations

import pytest

from kiemdich.privacy.models import AuditEntry
from kiemdich.tracing.models import Notice, NoticeBatch
from tests.tracing.conftest import at, self_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world, make_client, mai):
    """An F0 at a café with three contacts: a citizen with an account, a dependant (the
    parent's phone gets the SMS), and a person whose ID card was scanned (no account)."""
    f0 = world.person("F0", phone="+84912500000")
    cafe = world.venue("Quán Phở Hồng")
    lan = make_client("0912500001")
    parent = make_client("0912500002")
    child = world.person("Bé Bin", account=parent.user)
    card = world.person("LE VAN C", source="scanned", id_number="079190000222",
                        phone="+84912500003")
    world.visit(f0, cafe, at(10, 10), at(10, 11))
    for person in (self_person(lan), child, card):
        world.visit(person, cafe, at(10, 10, 30), at(10, 11, 30))
    response = mai.post("/api/v1/cases", {"person": {"phone": "0912500000"},
                                          "confirmed_at": at(15, 12).isoformat()})
    assert response.status_code == 201, response.content
    return {"id": response.json()["id"], "lan": lan, "parent": parent, "child": child,
            "card": card}


def test_it_notifies_contacts_in_the_app_and_by_sms(mai, case, outbox):
    response = mai.post(f"/api/v1/cases/{case['id']}/notice-batches", {})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "sent" and response.json()["notices"] == 3
    phones = sorted(m["phone"] for m in outbox.messages())
    assert phones == ["+84912500001", "+84912500002", "+84912500003"]
    assert all("Quán Phở Hồng" in m["text"] and "10/08/2021" in m["text"]
               for m in outbox.messages())

    mine = case["lan"].get("/api/v1/me/notices").json()
    assert [n["message"] for n in mine] == [
        "Bạn đã ở Quán Phở Hồng ngày 10/08/2021 khi có ca bệnh ở đó."]
    family = case["parent"].get("/api/v1/me/notices").json()
    assert [n["message"] for n in family] == [
        "Bé Bin đã ở Quán Phở Hồng ngày 10/08/2021 khi có ca bệnh ở đó."]
    # The citizen's home page shows it.
    case["lan"].force_login(case["lan"].user)
    home = case["lan"].get("/").content.decode()
    assert "Bạn đã ở Quán Phở Hồng ngày 10/08/2021 khi có ca bệnh ở đó." in home

    # Each contact is warned once per case.
    again = mai.post(f"/api/v1/cases/{case['id']}/notice-batches", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_notified"
    assert Notice.objects.count() == 3
    assert AuditEntry.objects.filter(action="notices_sent").count() == 1


def test_a_citizen_acknowledges_a_notice_and_only_their_own(mai, case):
    mai.post(f"/api/v1/cases/{case['id']}/notice-batches", {})
    notice = case["lan"].get("/api/v1/me/notices").json()[0]
    assert notice["read_at"] is None

    foreign = case["parent"].post(f"/api/v1/me/notices/{notice['id']}/read", {})
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "notice_unknown"

    read = case["lan"].post(f"/api/v1/me/notices/{notice['id']}/read", {})
    assert read.status_code == 200 and read.json()["read_at"]

    case["parent"].force_login(case["parent"].user)
    family = case["parent"].get("/api/v1/me/notices").json()[0]
    page = case["parent"].post(f"/tracing/notices/{family['id']}/read/")
    assert page.status_code == 302
    home = case["parent"].get("/").content.decode()
    assert "Đã đọc" in home


def test_large_batches_need_a_second_health_officer(mai, thu, case, outbox, settings):
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 2
    response = mai.post(f"/api/v1/cases/{case['id']}/notice-batches", {})
    assert response.status_code == 201
    batch = response.json()
    assert batch["status"] == "pending" and batch["needs_approval"] and batch["notices"] == 0
    assert outbox.messages() == []

    send = mai.post(f"/api/v1/notice-batches/{batch['id']}/send")
    assert send.status_code == 409 and send.json()["error"]["code"] == "approval_required"
    own = mai.post(f"/api/v1/notice-batches/{batch['id']}/approve")
    assert own.status_code == 403 and own.json()["error"]["code"] == "self_approval"

    approved = thu.post(f"/api/v1/notice-batches/{batch['id']}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "sent" and approved.json()["notices"] == 3
    assert len(outbox.messages()) == 3
    assert NoticeBatch.objects.get().approved_by == thu.user

    # At the threshold itself no approval is needed.
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 3


def test_a_batch_at_the_threshold_goes_out_at_once(mai, case, settings):
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 3
    response = mai.post(f"/api/v1/cases/{case['id']}/notice-batches", {})
    assert response.json()["status"] == "sent"


def test_chosen_contacts_only(mai, case, outbox):
    card = case["card"]
    response = mai.post(f"/api/v1/cases/{case['id']}/notice-batches",
                        {"person_ids": [card.pk]})
    assert response.status_code == 201 and response.json()["notices"] == 1
    assert [m["phone"] for m in outbox.messages()] == ["+84912500003"]
    stranger = mai.post(f"/api/v1/cases/{case['id']}/notice-batches", {"person_ids": [999999]})
    assert stranger.status_code == 422
    assert stranger.json()["error"]["code"] == "not_a_contact"
