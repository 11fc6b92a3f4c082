"""Logging in by phone + one-time code through the API, as the mobile app does."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from kiemdich.accounts.models import User
from kiemdich.people.models import Person

pytestmark = pytest.mark.django_db


def login(anon, outbox, phone="0912345678"):
    assert anon.post("/api/v1/auth/otp", {"phone": phone}).status_code == 202
    code = outbox.last_code("+84" + phone[1:])
    return anon.post("/api/v1/auth/token", {"phone": phone, "code": code})


def test_it_logs_in_and_creates_the_account_with_its_own_person(anon, outbox):
    response = anon.post("/api/v1/auth/otp", {"phone": "091 234 5678"})
    assert response.status_code == 202
    assert response.json()["expires_in"] == 300
    sms = outbox.messages()[-1]
    assert sms["phone"] == "+84912345678" and set(sms) == {"phone", "text", "sent_at", "id"}

    response = anon.post("/api/v1/auth/token",
                         {"phone": "+84912345678", "code": outbox.last_code("+84912345678")})
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    user = User.objects.get(phone="+84912345678")
    assert Person.objects.filter(account=user, is_self=True).count() == 1

    me = anon.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200
    assert me.json()["phone"] == "+84912345678"
    assert "citizen" in me.json()["roles"]


def test_it_refuses_a_code_twice(anon, outbox):
    anon.post("/api/v1/auth/otp", {"phone": "0912345678"})
    code = outbox.last_code("+84912345678")
    assert anon.post("/api/v1/auth/token", {"phone": "0912345678", "code": code}).status_code == 200
    again = anon.post("/api/v1/auth/token", {"phone": "0912345678", "code": code})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "otp_invalid"


def test_it_refuses_another_phones_code(anon, outbox):
    anon.post("/api/v1/auth/otp", {"phone": "0912345678"})
    code = outbox.last_code("+84912345678")
    anon.post("/api/v1/auth/otp", {"phone": "0987654321"})
    response = anon.post("/api/v1/auth/token", {"phone": "0987654321", "code": code})
    if code == outbox.last_code("+84987654321"):
        pytest.skip("both phones drew the same random code")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "otp_invalid"


def test_it_expires_codes_after_five_minutes(anon, outbox):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        anon.post("/api/v1/auth/otp", {"phone": "0912345678"})
        code = outbox.last_code("+84912345678")
        clock.shift(timedelta(seconds=301))
        response = anon.post("/api/v1/auth/token", {"phone": "0912345678", "code": code})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "otp_expired"


def test_it_allows_five_wrong_tries_then_answers_429(anon, outbox):
    anon.post("/api/v1/auth/otp", {"phone": "0912345678"})
    code = outbox.last_code("+84912345678")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        r = anon.post("/api/v1/auth/token", {"phone": "0912345678", "code": wrong})
        assert r.json()["error"]["code"] == "otp_invalid"
    blocked = anon.post("/api/v1/auth/token", {"phone": "0912345678", "code": code})
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0


def test_it_throttles_sending_to_one_phone(anon):
    assert anon.post("/api/v1/auth/otp", {"phone": "0912345678"}).status_code == 202
    again = anon.post("/api/v1/auth/otp", {"phone": "0912345678"})
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "rate_limited"
    assert 0 < int(again["Retry-After"]) <= 30
    # The message says how long to wait: the same seconds as Retry-After.
    assert f"thử lại sau {again['Retry-After']} giây" in again.json()["error"]["message"]


def test_the_login_page_says_how_long_to_wait(client):
    assert client.post("/accounts/login/", {"phone": "0912345678"}).status_code == 200
    again = client.post("/accounts/login/", {"phone": "0912345678"}).content.decode()
    assert re.search(r"thử lại sau \d+ giây", again), again


def test_it_throttles_sending_from_one_ip(anon, settings):
    settings.OTP_SEND_PER_IP_PER_HOUR = 3
    statuses = [anon.post("/api/v1/auth/otp", {"phone": f"091200{i:04d}"}).status_code
                for i in range(4)]
    assert statuses == [202, 202, 202, 429]


@pytest.mark.parametrize("phone", ["12345", "+1 202 555 0100", "0123", "", "09123456789012"])
def test_it_answers_phone_invalid(anon, phone):
    response = anon.post("/api/v1/auth/otp", {"phone": phone})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "phone_invalid"


def test_logout_revokes_the_token(anon, outbox):
    token = login(anon, outbox).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert anon.post("/api/v1/auth/logout", {}, **auth).status_code == 204
    assert anon.get("/api/v1/me", **auth).status_code == 401


def test_the_api_needs_a_token(anon):
    response = anon.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_openapi_document_is_served(anon):
    response = anon.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/auth/otp" in response.json()["paths"]
