"""Credentials that do not hold: a reader's wrong or revoked `Device` token and a garbled
`Bearer` token answer 401 with the stable `unauthorized` code; only a logged-in portal
session is held to CSRF (403 `csrf_failed`)."""

from __future__ import annotations

import pytest
from django.test import Client

from kiemdich.venues.models import Device
from tests.scans.conftest import scans_url

pytestmark = pytest.mark.django_db


def _client() -> Client:
    """A client as a reader or an app is: Django's test client skips CSRF unless told."""
    return Client(enforce_csrf_checks=True)


def _scan(venue, authorization: str):
    return _client().post(scans_url(venue), {"code": "not a code", "direction": "in"},
                         content_type="application/json", HTTP_AUTHORIZATION=authorization)


def _assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("authorization", [
    "Device kd_dev_not-a-real-token", "Device ", "Device", "Bearer kd_garbled!!",
    "Bearer", "Bearer \u00e9\u00e9", "Basic Zm9vOmJhcg==", "kd_only-a-token"])
def test_it_refuses_a_wrong_credential_with_401(venue, authorization):
    _assert_unauthorized(_scan(venue, authorization))


def test_it_refuses_a_revoked_reader_with_401(venue, reader, minh):
    assert _scan(venue, f"Device {reader}").status_code == 422  # authenticated; a bad code
    device = Device.objects.get()
    assert minh.delete(f"/api/v1/venues/{venue.pk}/devices/{device.pk}").status_code == 204
    _assert_unauthorized(_scan(venue, f"Device {reader}"))


def test_it_refuses_a_garbled_bearer_token_on_every_people_endpoint(lan):
    response = _client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer x.y.z")
    _assert_unauthorized(response)


def test_a_logged_in_session_without_the_csrf_token_is_refused_with_csrf_failed(venue, hoa):
    client = _client()
    client.force_login(hoa.user)
    response = client.post(scans_url(venue), {"code": "x", "direction": "in"},
                           content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
