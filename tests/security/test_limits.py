"""Rate limits per account and per IP, session idle and absolute timeouts."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client, RequestFactory
from ninja import Router, Schema
from ninja.testing import TestClient

from kiemdich.accounts.ratelimit import rate_limited
from tests.shared_redis import shared_redis_cache

pytestmark = pytest.mark.django_db


class EchoIn(Schema):
    text: str


router = Router()


@router.post("/echo")
@rate_limited("test-echo", per_ip=3, window=60)
def echo(request, payload: EchoIn):
    return {"text": payload.text}


def test_the_decorator_keeps_a_ninja_operations_payload_and_limits_per_ip():
    client = TestClient(router)
    for _ in range(3):
        assert client.post("/echo", json={"text": "xin chào"}).json() == {"text": "xin chào"}
    refused = client.post("/echo", json={"text": "xin chào"})
    assert refused.status_code == 429


def test_it_limits_per_account_across_ips(lan):
    for n in range(5):
        response = lan.post("/api/v1/me/delete", REMOTE_ADDR=f"10.0.0.{n}")
        assert response.status_code == 202
    refused = lan.post("/api/v1/me/delete", REMOTE_ADDR="10.0.0.99")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0


def test_accounts_do_not_share_a_budget(lan, binh):
    for _ in range(5):
        lan.post("/api/v1/me/delete")
    assert binh.post("/api/v1/me/delete").status_code == 202


def test_it_limits_django_views_with_a_page_answer(lan):
    @rate_limited("test-view", per_ip=2, window=60)
    def view(request):
        return HttpResponse("ok")

    factory = RequestFactory()
    for _ in range(2):
        assert view(factory.get("/privacy/x")).status_code == 200
    refused = view(factory.get("/privacy/x"))
    assert refused.status_code == 429 and refused["Content-Type"].startswith("text/plain")


def test_otp_requests_are_limited_per_phone(anon):
    assert anon.post("/api/v1/auth/otp", {"phone": "0912345678"}).status_code == 202
    again = anon.post("/api/v1/auth/otp", {"phone": "0912345678"})
    assert again.status_code == 429


# Sessions ---------------------------------------------------------------------------------

def test_an_idle_session_ends(lan, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    with time_machine.travel("2026-03-01 08:00 +07:00", tick=False) as clock:
        client = Client()
        client.force_login(lan.user)
        assert client.get("/privacy/").status_code == 200
        clock.shift(29 * 60)
        assert client.get("/privacy/").status_code == 200
        clock.shift(31 * 60)
        assert client.get("/privacy/").status_code == 302


def test_a_busy_session_still_ends_at_its_absolute_limit(lan, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    settings.SESSION_COOKIE_AGE = 12 * 3600
    with time_machine.travel("2026-03-01 08:00 +07:00", tick=False) as clock:
        client = Client()
        client.force_login(lan.user)
        assert client.get("/privacy/").status_code == 200  # the session's first request
        elapsed = 0
        while elapsed + 25 * 60 <= 12 * 3600:  # active every 25 minutes for 12 hours
            clock.shift(25 * 60)
            elapsed += 25 * 60
            assert client.get("/privacy/").status_code == 200
        clock.shift(25 * 60)  # never idle longer than 25 minutes, but past 12 hours
        assert client.get("/privacy/").status_code == 302


# Sensitive endpoints -----------------------------------------------------------------------

# Operations that send SMS, reveal or export personal data, reach many people, or record a
# presence: each must carry a per-account (and where useful per-IP) limit. The OTP endpoints
# count inside kiemdich/accounts/otp.py (per phone and per IP).
SENSITIVE = {
    "POST /people", "GET /people/search", "GET /me/export", "GET /me/export.pdf",
    "POST /people/{person_id}/declarations", "POST /people/{person_id}/declarations/renew",
    "POST /venues", "POST /venues/{id}/staff", "POST /venues/{id}/devices",
    "GET /venues/directory/export", "POST /checkins", "POST /cases",
    "POST /cases/{case_id}/exports", "POST /cases/{case_id}/notice-batches",
    "POST /notice-batches/{batch_id}/approve", "POST /notice-batches/{batch_id}/send",
    "POST /me/delete", "POST /consent/withdraw", "POST /venues/{venue_id}/scans",
    "POST /venues/{venue_id}/scans/batch", "POST /venues/{venue_id}/scans/decode-photo",
}


def _views() -> dict[str, object]:
    from kiemdich.api import api

    views = {}
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    # "/venues/{int:id}" in the router is "/venues/{id}" in the document
                    plain = re.sub(r"\{\w+:(\w+)\}", r"{\1}", path)
                    views[f"{method} {plain}"] = operation.view_func
    return views


def test_every_sensitive_endpoint_is_rate_limited():
    views = _views()
    assert set(views) >= SENSITIVE, SENSITIVE - set(views)
    unlimited = sorted(op for op in SENSITIVE if not hasattr(views[op], "rate_limit"))
    assert not unlimited, f"sensitive endpoints without a rate limit: {unlimited}"


def test_staff_invitations_cannot_pump_sms(areas, minh, outbox):
    from tests.privacy.factories import venue

    place = venue(minh.user, areas["25993"])
    codes = [minh.post(f"/api/v1/venues/{place.pk}/staff",
                       {"phone": f"09130{n:05d}"}).status_code for n in range(61)]
    assert codes[:60] == [201] * 60 and codes[60] == 429
    assert len(outbox.messages()) <= 60


def test_own_data_exports_are_limited(lan):
    codes = [lan.get("/api/v1/me/export").status_code for _ in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429


# Sliding windows ---------------------------------------------------------------------------

def test_a_used_up_limit_does_not_come_back_at_the_clock_hour(lan):
    """5 an hour: a burst of 5, then one every 12 minutes — not 5 more at 11:00."""
    with time_machine.travel("2026-03-01 10:59:00 +07:00", tick=False) as clock:
        assert [lan.post("/api/v1/me/delete").status_code for _ in range(5)] == [202] * 5
        clock.shift(90)  # 11:00:30, a new clock hour
        refused = lan.post("/api/v1/me/delete")
        assert refused.status_code == 429
        assert refused["Retry-After"] == str(12 * 60 - 90)
        assert "11 phút" in refused.json()["error"]["message"]
        clock.shift(12 * 60 - 90 - 1)
        assert lan.post("/api/v1/me/delete").status_code == 429
        clock.shift(1)
        assert lan.post("/api/v1/me/delete").status_code == 202
        assert lan.post("/api/v1/me/delete").status_code == 429


def test_the_wait_is_said_in_english_too(lan):
    for _ in range(5):
        lan.post("/api/v1/me/delete")
    refused = lan.post("/api/v1/me/delete", HTTP_ACCEPT_LANGUAGE="en")
    message = refused.json()["error"]["message"]
    assert message == "Too many requests; please try again in 12 minutes."


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_limit_keys_hold_no_phone_number_or_address(anon, settings, backend):
    from django.core.cache import cache

    if backend == "redis":
        settings.CACHES = shared_redis_cache()
        cache.clear()
    assert anon.post("/api/v1/auth/otp", {"phone": "0912345678"},
                     REMOTE_ADDR="203.0.113.77").status_code == 202
    if backend == "redis":
        keys = [k.decode() for k in cache._cache.get_client().keys("*")]
    else:
        keys = list(cache._cache)
    assert keys, "the limits were counted somewhere"
    for key in keys:
        assert "912345678" not in key and "203.0.113.77" not in key, key
    cache.clear()
