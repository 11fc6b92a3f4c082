"""A health officer in a real browser registers an F0, sees the places and the contacts,
sends the notices; the contact logs in and reads the notice on the home page."""

from __future__ import annotations

import os

import pytest

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import account_for_phone, grant_role
from kiemdich.people.models import Person
from tests.browser.conftest import new_context
from tests.tracing.conftest import World, at

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_register_trace_notify_and_the_citizen_reads_it(browser, page, live_server, login,
                                                        areas, outbox, t, lang):
    grant_role("0912700001", Role.HEALTH_OFFICER, areas["75"])
    world = World(areas, account_for_phone("0912700009"))
    f0 = world.person("Phạm Văn Không", phone="+84912700002")
    contact_account = account_for_phone("0912700003")
    contact = Person.objects.get(account=contact_account, is_self=True)
    contact.full_name = "Võ Thị Lan"
    contact.save()
    market = world.venue("Chợ Biên Hòa", lat=10.95, lng=106.82)
    world.visit(f0, market, at(10, 9), at(10, 10))
    world.visit(contact, market, at(10, 9, 30), at(10, 10, 30))

    login(page, "0912700001", "/tracing/new/")
    page.select_option("select[name=lookup]", "phone")
    page.fill("input[name=value]", "0912 700 002")
    page.fill("input[name=confirmed_at]", "2021-08-15T12:00")
    page.click("button[type=submit]")
    page.wait_for_selector("#places")
    assert "Chợ Biên Hòa" in page.inner_text("#places")
    contacts = page.inner_text("#contacts")
    assert "Võ Thị Lan" in contacts and "0912700003" in contacts
    assert page.locator("#zoning svg circle").count() == 1

    page.click("button[name=scope][value=all]")
    page.wait_for_selector("#notices .badge-ok")
    assert t("Đã gửi") in page.inner_text("#notices")
    assert any(m["phone"] == "+84912700003" for m in outbox.messages())

    citizen = new_context(browser, live_server.url, lang, viewport={"width": 360, "height": 780})
    try:
        other = citizen.new_page()
        login(other, "0912700003", "/")
        notice = other.inner_text("#exposure-notices")
        day = "10/08/2021" if lang == "vi" else "10 Aug 2021"
        assert t("Bạn đã ở %(venue)s ngày %(date)s khi có ca bệnh ở đó.") % {
            "venue": "Chợ Biên Hòa", "date": day} in notice
        # The text message itself goes out in Vietnamese, whoever sent it.
        assert any("Bạn đã ở Chợ Biên Hòa ngày 10/08/2021" in m["text"]
                   for m in outbox.messages() if m["phone"] == "+84912700003")
    finally:
        citizen.close()
