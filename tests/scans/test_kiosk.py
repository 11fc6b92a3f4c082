"""A staff phone signed in as the venue's kiosk for a shift: a device token that scans
whatever becomes of the portal session, listed with the venue's readers, revocable by the
owner; a shift that ended and a revocation answer 401 with a `reason` the kiosk acts on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kiemdich.scans.access import forget
from kiemdich.scans.models import Scan
from kiemdich.venues import devices
from kiemdich.venues.models import Device
from tests.scans.conftest import scans_url

pytestmark = pytest.mark.django_db


def kiosk_url(venue) -> str:
    return f"/api/v1/venues/{venue.pk}/kiosk"


def scan(venue, token: str, code: str):
    return Client().post(scans_url(venue), {"code": code, "direction": "in"},
                         content_type="application/json", HTTP_AUTHORIZATION=f"Device {token}")


def end_shift(token: str) -> None:
    Device.objects.filter(token_hash=devices.digest(token)).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    devices._readers.forget()
    forget()


def test_staff_sign_a_phone_in_for_a_shift_and_it_scans_as_staff(venue, hoa, minh, lan_code,
                                                                 settings):
    settings.KIOSK_SHIFT_HOURS = 10
    response = hoa.post(kiosk_url(venue))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("kdd_") and body["name"] == "Kiosk của 0912000004"
    left = timezone.datetime.fromisoformat(body["expires_at"]) - timezone.now()
    assert timedelta(hours=9, minutes=59) < left <= timedelta(hours=10)

    answer = scan(venue, body["token"], lan_code)
    assert answer.status_code == 201, answer.content
    stored = Scan.objects.get()
    assert stored.method == "staff" and stored.device_id == body["id"]

    # Listed with the venue's readers.
    (listed,) = minh.get(f"/api/v1/venues/{venue.pk}/devices").json()
    assert listed["kind"] == "kiosk" and listed["active"] and listed["id"] == body["id"]
    assert listed["expires_at"] is not None


def test_a_kiosk_whose_shift_ended_is_told_to_sign_in_again(venue, hoa, minh, lan_code):
    token = hoa.post(kiosk_url(venue)).json()["token"]
    end_shift(token)
    answer = scan(venue, token, lan_code)
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["code"] == "unauthorized" and error["reason"] == "device_expired"
    assert "đăng nhập lại" in error["message"]
    assert not Scan.objects.exists()
    (listed,) = minh.get(f"/api/v1/venues/{venue.pk}/devices").json()
    assert listed["active"] is False and listed["revoked_at"] is None


def test_a_kiosk_revoked_by_the_owner_is_told_so(venue, hoa, minh, lan_code):
    body = hoa.post(kiosk_url(venue)).json()
    assert minh.delete(f"/api/v1/venues/{venue.pk}/devices/{body['id']}").status_code == 204
    answer = scan(venue, body["token"], lan_code)
    assert answer.status_code == 401
    assert answer.json()["error"]["reason"] == "device_revoked"


def test_a_new_sign_in_revokes_the_phones_previous_kiosk(venue, hoa, lan_code):
    first = hoa.post(kiosk_url(venue)).json()
    second = hoa.post(kiosk_url(venue), {"previous_token": first["token"]}).json()
    assert scan(venue, first["token"], lan_code).json()["error"]["reason"] == "device_revoked"
    assert scan(venue, second["token"], lan_code).status_code == 201


def test_a_kiosk_token_works_at_its_venue_only(venue, other_venue, hoa, lan_code):
    token = hoa.post(kiosk_url(venue)).json()["token"]
    assert scan(other_venue, token, lan_code).status_code == 404


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_only_the_venues_staff_sign_a_kiosk_in(venue, binh, anon, who):
    response = (binh if who == "stranger" else anon).post(kiosk_url(venue))
    assert response.status_code == (404 if who == "stranger" else 401)
    assert response.json()["error"]["code"] == ("venue_unknown" if who == "stranger"
                                                else "unauthorized")
    assert not Device.objects.exists()


def test_a_session_without_csrf_cannot_sign_a_kiosk_in(venue, hoa):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hoa.user)
    response = client.post(kiosk_url(venue), {}, content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"


def test_kiosks_whose_shift_ended_do_not_fill_the_venues_device_limit(venue, hoa, monkeypatch):
    from kiemdich.venues import services

    monkeypatch.setattr(services, "MAX_DEVICES_PER_VENUE", 2)
    tokens = [hoa.post(kiosk_url(venue)).json()["token"] for _ in range(2)]
    full = hoa.post(kiosk_url(venue))
    assert full.status_code == 422 and full.json()["error"]["code"] == "device_limit"
    end_shift(tokens[0])
    assert hoa.post(kiosk_url(venue)).status_code == 201


def test_a_bad_previous_token_is_refused_as_input(venue, hoa):
    response = hoa.post(kiosk_url(venue), {"previous_token": "x" * 500})
    assert response.status_code == 422
    assert hoa.post(kiosk_url(venue), {"previous_token": "not-one"}).status_code == 201
