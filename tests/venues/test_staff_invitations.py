"""Staff invitations are neither an SMS cannon nor a phishing channel: limited per destination
phone and per owner, and the only text of the owner's in them is the venue's name, plain."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from kiemdich.accounts.sms import PLAIN_NAME_CHARS, plain_name
from tests.privacy.factories import venue

pytestmark = pytest.mark.django_db

VICTIM, VICTIM_E164 = "0913000001", "+84913000001"


def _staff(owner, place, phone=VICTIM):
    return owner.post(f"/api/v1/venues/{place.pk}/staff", {"phone": phone})


def test_adding_and_removing_one_phone_in_a_loop_sends_it_three_invitations(areas, minh,
                                                                             outbox):
    place = venue(minh.user, areas["25993"])
    invited = []
    for _ in range(30):
        added = _staff(minh, place)
        assert added.status_code == 201
        invited.append(added.json()["invited"])
        assert minh.delete(f"/api/v1/venues/{place.pk}/staff/{VICTIM}").status_code == 204
    assert invited == [True] * 3 + [False] * 27
    assert sum(m["phone"] == VICTIM_E164 for m in outbox.messages()) == 3
    print(f"\n30 add+delete of one phone: {len(outbox.messages())} SMS sent")


def test_many_owners_cannot_flood_one_phone_either(areas, minh, binh, outbox):
    for owner in (minh, binh):
        for n in range(3):
            place = venue(owner.user, areas["25993"], name=f"Quán {n}")
            _staff(owner, place)
    assert sum(m["phone"] == VICTIM_E164 for m in outbox.messages()) == 3


def test_an_owners_invitations_are_limited_per_day_and_the_limit_slides(areas, minh, outbox,
                                                                        settings):
    settings.STAFF_INVITES_PER_OWNER_PER_DAY = 4
    place = venue(minh.user, areas["25993"])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        answers = [_staff(minh, place, f"09140{n:05d}").json()["invited"] for n in range(5)]
        assert answers == [True] * 4 + [False]
        clock.shift(6 * 3600)  # one more every 6 hours, not at midnight
        assert _staff(minh, place, "0914099999").json()["invited"] is True
    assert len(outbox.messages()) == 5


def test_the_portal_says_when_no_invitation_was_sent(areas, minh, outbox, settings):
    from django.test import Client

    settings.STAFF_INVITES_PER_PHONE_PER_DAY = 0
    place = venue(minh.user, areas["25993"])
    client = Client()
    client.force_login(minh.user)
    page = client.post(f"/venues/{place.pk}/staff/", {"phone": VICTIM}, follow=True)
    assert "không gửi thêm" in page.content.decode()
    assert outbox.messages() == []


@pytest.mark.parametrize("name", [
    "Nhận quà tại http://evil.example/login ngay",
    "Quán Phở www.evil.example",
    "Xác minh tài khoản: bit.ly/abc123",
    "Liên hệ admin@evil.example",
])
def test_no_link_of_the_owners_reaches_the_invitation(areas, minh, outbox, settings, name):
    place = venue(minh.user, areas["25993"], name=name)
    assert _staff(minh, place).status_code == 201
    text = outbox.messages()[-1]["text"]
    assert re.findall(r"\S*[./:@]\S*[A-Za-z]", text) == [
        f"{settings.PUBLIC_BASE_URL}/accounts/login/"[:-1]]
    quoted = text.split("“")[1].split("”")[0]
    assert quoted == plain_name(name)
    assert not re.search(r"[./:@]", quoted)


def test_a_name_with_nothing_plain_left_gives_a_message_without_it(areas, minh, outbox):
    place = venue(minh.user, areas["25993"], name="://./@@")
    assert _staff(minh, place).status_code == 201
    text = outbox.messages()[-1]["text"]
    assert "“" not in text and "một địa điểm" in text


@given(st.text(max_size=300))
def test_a_plain_name_carries_no_link_and_keeps_the_words(text):
    name = plain_name(text)
    assert len(name) <= PLAIN_NAME_CHARS
    assert not re.search(r"[./:@\\<>\"\s]", name.replace(" ", ""))
    assert name == name.strip() and "  " not in name
    # The letters of an ordinary name survive, Vietnamese included.
    assert plain_name("Phở Hà Nội - Cô Ba") == "Phở Hà Nội - Cô Ba"
