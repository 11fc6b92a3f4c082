"""Limits that protect a phone cannot be used by someone else to keep its owner out of login:
code requests and wrong tries from another address spend that address's allowance, codes the
owner holds stay valid, and the one limit across requesters leaves the owner a valid code."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

pytestmark = pytest.mark.django_db

VICTIM = "0912345678"
E164 = "+84912345678"
OWNER, ATTACKER = "198.51.100.10", "203.0.113.66"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def ask(anon, ip: str, phone: str = VICTIM):
    return anon.post("/api/v1/auth/otp", {"phone": phone}, REMOTE_ADDR=ip)


def verify(anon, ip: str, code: str, phone: str = VICTIM):
    return anon.post("/api/v1/auth/token", {"phone": phone, "code": code}, REMOTE_ADDR=ip)


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_someone_elses_code_requests_do_not_lock_the_owner_out(anon, outbox, clock):
    statuses = []
    for _ in range(6):
        statuses.append(ask(anon, ATTACKER).status_code)
        clock.shift(31)
    assert statuses == [202] * 5 + [429]  # the attacker's own allowance for this phone
    assert ask(anon, OWNER).status_code == 202
    assert verify(anon, OWNER, outbox.last_code(E164)).status_code == 200


def test_a_later_request_by_someone_else_does_not_void_the_owners_code(anon, outbox, clock):
    assert ask(anon, OWNER).status_code == 202
    owners_code = outbox.last_code(E164)
    clock.shift(5)
    assert ask(anon, ATTACKER).status_code == 202
    answer = verify(anon, OWNER, owners_code)
    assert answer.status_code == 200, answer.content
    # One login uses every code sent: the attacker's request left none that works.
    assert verify(anon, OWNER, outbox.last_code(E164)).status_code == 400


def test_someone_elses_wrong_tries_do_not_block_the_owners_right_code(anon, outbox, clock):
    assert ask(anon, OWNER).status_code == 202
    code = outbox.last_code(E164)
    tries = [verify(anon, ATTACKER, wrong(code)).status_code for _ in range(6)]
    assert tries == [400] * 5 + [429]
    assert verify(anon, ATTACKER, code).status_code == 429  # the guesser learns nothing
    assert verify(anon, OWNER, code).status_code == 200


def test_the_requesters_limit_slides_instead_of_waiting_for_the_clock_hour(anon, clock):
    for _ in range(5):
        assert ask(anon, ATTACKER).status_code == 202
        clock.shift(31)
    refused = ask(anon, ATTACKER)
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert wait == 12 * 60 - 5 * 31  # 5 an hour: one more every 12 minutes
    assert "phút" in refused.json()["error"]["message"]
    clock.shift(wait)
    assert ask(anon, ATTACKER).status_code == 202


def test_a_flood_from_many_addresses_still_leaves_the_owner_a_valid_code(anon, outbox, clock,
                                                                         settings):
    """The limit across requesters (against flooding a phone) takes one code per lifetime:
    whenever it refuses the owner, the newest message on the phone still logs in."""
    sent = 0
    for n in range(40):
        if ask(anon, f"203.0.113.{n}").status_code == 202:
            sent += 1
        clock.shift(17)
    assert sent == 12 + 40 * 17 // settings.OTP_TTL_SECONDS  # a burst, then one per lifetime
    refused = ask(anon, OWNER)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) <= settings.OTP_TTL_SECONDS
    assert verify(anon, OWNER, outbox.last_code(E164)).status_code == 200
    print(f"\n40 requests from 40 addresses in {40 * 17} s: {sent} messages sent")


def test_guessers_at_many_addresses_burn_the_code_after_the_cap_and_a_new_one_works(
        anon, outbox, clock, settings):
    assert ask(anon, OWNER).status_code == 202
    code = outbox.last_code(E164)
    for n in range(settings.OTP_CODE_MAX_ATTEMPTS):
        assert verify(anon, f"203.0.113.{n // 5}", wrong(code)).status_code == 400
    burnt = verify(anon, OWNER, code)
    assert burnt.status_code == 429
    assert burnt.json()["error"]["code"] == "rate_limited"
    clock.shift(31)
    assert ask(anon, OWNER).status_code == 202
    assert verify(anon, OWNER, outbox.last_code(E164)).status_code == 200
