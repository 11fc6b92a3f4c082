"""Staff phones and dedicated readers: what the owner grants, and what each may then do."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from kiemdich.privacy.models import AuditEntry
from kiemdich.venues.models import Device

pytestmark = pytest.mark.django_db


def test_an_added_phone_gets_an_invitation_and_sees_the_venue_it_staffs(
        minh, hoa, register, outbox):
    venue = register(minh)
    response = minh.post(f"/api/v1/venues/{venue['id']}/staff", {"phone": "+84 912 000 004"})
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "0912000004"
    sms = outbox.messages()[-1]
    assert sms["phone"] == "+84912000004" and "Chợ Tân Phong" in sms["text"]
    assert "/accounts/login/" in sms["text"]
    staffed = hoa.get("/api/v1/venues/staffed").json()
    assert [v["id"] for v in staffed] == [venue["id"]]
    assert hoa.get("/api/v1/me").json()["venues_staffed"] == [venue["id"]]
    assert [s["phone"] for s in minh.get(f"/api/v1/venues/{venue['id']}/staff").json()] == [
        "0912000004"]
    # The trail says who was added only by a pseudonym.
    entry = AuditEntry.objects.get(action="venue_staff_added")
    assert "912000004" not in entry.reason and entry.reason.startswith("h:")


def test_staff_cannot_edit_the_venue_or_see_others(minh, hoa, register):
    venue = register(minh)
    other = register(minh, name="Siêu thị Co.op", venue_type="supermarket")
    minh.post(f"/api/v1/venues/{venue['id']}/staff", {"phone": "0912000004"})
    base = f"/api/v1/venues/{venue['id']}"
    for response in (hoa.get(base), hoa.patch(base, {"name": "x"}), hoa.post(f"{base}/rotate"),
                     hoa.get(f"{base}/staff"), hoa.post(f"{base}/staff", {"phone": "0912000005"}),
                     hoa.post(f"{base}/devices", {"name": "x"}), hoa.get(f"{base}/poster.pdf"),
                     hoa.get(f"/api/v1/venues/{other['id']}")):
        assert response.status_code == 404
    assert hoa.get("/api/v1/venues").json() == []


def test_staff_phones_are_checked(minh, register):
    venue = register(minh)
    url = f"/api/v1/venues/{venue['id']}/staff"
    assert minh.post(url, {"phone": "12"}).json()["error"]["code"] == "phone_invalid"
    assert minh.post(url, {"phone": "0912000002"}).json()["error"]["code"] == "staff_is_owner"
    assert minh.post(url, {"phone": "0912000004"}).status_code == 201
    again = minh.post(url, {"phone": "84912000004"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "staff_exists"


def test_a_removed_phone_loses_the_venue(minh, hoa, register):
    venue = register(minh)
    minh.post(f"/api/v1/venues/{venue['id']}/staff", {"phone": "0912000004"})
    assert minh.delete(f"/api/v1/venues/{venue['id']}/staff/0912000004").status_code == 204
    assert hoa.get("/api/v1/venues/staffed").json() == []
    gone = minh.delete(f"/api/v1/venues/{venue['id']}/staff/+84912000004")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "staff_unknown"


def test_a_reader_token_is_shown_once_kept_hashed_and_acts_for_its_venue_only(
        minh, anon, register):
    venue = register(minh)
    other = register(minh, name="Siêu thị Co.op", venue_type="supermarket")
    response = minh.post(f"/api/v1/venues/{venue['id']}/devices", {"name": "Cổng chính"})
    assert response.status_code == 201
    token = response.json()["token"]
    assert token not in str(Device.objects.values_list("token_hash", flat=True)[0])
    listed = minh.get(f"/api/v1/venues/{venue['id']}/devices").json()
    assert listed[0]["name"] == "Cổng chính" and listed[0]["last_used_at"] is None
    assert "token" not in listed[0]

    auth = {"HTTP_AUTHORIZATION": f"Device {token}"}
    me = anon.get("/api/v1/device", **auth)
    assert me.status_code == 200 and me.json()["venue"]["id"] == venue["id"]
    assert anon.get(f"/api/v1/venues/{venue['id']}", **auth).json()["code"] == venue["code"]
    assert anon.get(f"/api/v1/venues/{other['id']}", **auth).status_code == 404
    # A reader is no person: the owner's actions stay closed to it.
    assert anon.post(f"/api/v1/venues/{venue['id']}/rotate", **auth).status_code == 401
    assert anon.get("/api/v1/venues", **auth).status_code == 401
    assert minh.get(f"/api/v1/venues/{venue['id']}/devices").json()[0]["last_used_at"]


def test_a_revoked_reader_is_refused_with_401(minh, anon, register):
    venue = register(minh)
    created = minh.post(f"/api/v1/venues/{venue['id']}/devices", {"name": "Cổng phụ"}).json()
    auth = {"HTTP_AUTHORIZATION": f"Device {created['token']}"}
    assert anon.get("/api/v1/device", **auth).status_code == 200
    url = f"/api/v1/venues/{venue['id']}/devices/{created['id']}"
    assert minh.delete(url).status_code == 204
    refused = anon.get("/api/v1/device", **auth)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    assert anon.get(f"/api/v1/venues/{venue['id']}", **auth).status_code == 401
    listed = minh.get(f"/api/v1/venues/{venue['id']}/devices").json()
    assert listed[0]["active"] is False and listed[0]["revoked_at"]
    assert minh.delete(f"/api/v1/venues/{venue['id']}/devices/999999").status_code == 404


def test_last_use_is_recorded_at_most_once_a_minute(minh, anon, register):
    venue = register(minh)
    token = minh.post(f"/api/v1/venues/{venue['id']}/devices", {"name": "A"}).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Device {token}"}
    anon.get("/api/v1/device", **auth)
    first = Device.objects.get().last_used_at
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        anon.get("/api/v1/device", **auth)
    assert Device.objects.get().last_used_at > first


def test_reader_names_are_checked(minh, register):
    venue = register(minh)
    url = f"/api/v1/venues/{venue['id']}/devices"
    assert minh.post(url, {"name": " "}).json()["error"]["field"] == "name"
    too_long = minh.post(url, {"name": "x" * 101})
    assert too_long.status_code == 422 and too_long.json()["error"] == {
        "code": "too_long", "field": "name", "message": "Tên máy quét dài quá 100 ký tự."}
    assert minh.post(url, {}).status_code == 422


def test_a_closed_venues_readers_stop_working(minh, anon, register):
    venue = register(minh)
    token = minh.post(f"/api/v1/venues/{venue['id']}/devices", {"name": "A"}).json()["token"]
    minh.patch(f"/api/v1/venues/{venue['id']}", {"status": "closed"})
    assert anon.get("/api/v1/device", HTTP_AUTHORIZATION=f"Device {token}").status_code == 401
