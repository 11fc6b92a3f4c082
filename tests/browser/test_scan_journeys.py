"""Check-in journeys in a real Chromium: a visitor scans the poster and checks in; staff scan
a personal code with a keyboard-wedge reader while the owner watches the live page."""

from __future__ import annotations

import json
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kiemdich.accounts.services import account_for_phone
from kiemdich.core.protect import decrypt_id
from kiemdich.people.codes import issue_app_code
from kiemdich.people.models import Person
from kiemdich.scans.access import forget
from kiemdich.scans.models import Scan, Visit
from kiemdich.venues.models import VenueStaff
from tests.browser.conftest import new_context
from tests.scans.conftest import make_venue
from tests.scans.servers import thread_server

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWNER, STAFF, VISITOR = "0912000002", "0912000004", "0912000001"


@pytest.fixture
def restaurant(areas):
    forget()
    owner = account_for_phone(OWNER)
    venue = make_venue(owner, "Quán Phở Hòa")
    VenueStaff.objects.create(venue=venue, phone=account_for_phone(STAFF).phone)
    yield venue
    forget()


def visitor() -> Person:
    person = Person.objects.get(account=account_for_phone(VISITOR), is_self=True)
    person.full_name = "Nguyễn Thị Lan"
    person.save()
    return person


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_visitor_checks_in_from_the_poster_url(page, login, restaurant, t, lang):
    lan = visitor()
    page.goto(f"/v/{restaurant.code}")
    # Logged out: where and what first, then the login, and back to the poster page.
    expect(page.locator("#venue-name")).to_have_text("Quán Phở Hòa")
    assert "/accounts/login/" in page.locator("#checkin-login").get_attribute("href")
    login(page, VISITOR, next_path=f"/v/{restaurant.code}")
    expect(page.locator("#venue-name")).to_have_text("Quán Phở Hòa")
    page.get_by_role("button", name=t("Vào"), exact=True).click()
    confirmation = page.locator("#confirmation")
    expect(confirmation).to_be_visible()
    expect(confirmation).to_have_class(re.compile(r"day-colour-\d+"))
    expect(confirmation.locator("h1")).to_have_text(t("Đã vào"))
    expect(page.locator(".confirm-venue")).to_have_text("Quán Phở Hòa")
    assert page.locator("svg.tick").is_visible()
    day = timezone.localtime().strftime("%d/%m/%Y" if lang == "vi" else "%d %b %Y")
    assert day in page.locator(".confirm-time").inner_text()
    assert Visit.objects.get(person=lan, venue=restaurant).left_at is None


def test_a_check_in_from_far_away_sends_the_phones_position_and_is_flagged(
        browser, live_server, login, restaurant, settings):
    """The visitor let the page read the position: it goes with the tap, and a check-in ~9 km
    from the venue is flagged for the area's officers."""
    from kiemdich.privacy.models import Flag

    settings.ABUSE_REMOTE_KM = 2
    restaurant.latitude, restaurant.longitude = 10.7721, 106.6983
    restaurant.save(update_fields=["latitude", "longitude"])
    visitor()
    context = new_context(browser, live_server.url, "vi", permissions=["geolocation"],
                          geolocation={"latitude": 10.8231, "longitude": 106.6297})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, VISITOR, next_path=f"/v/{restaurant.code}")
        expect(page.locator("#location-note")).to_be_visible()
        assert page.locator("input[name=latitude]").input_value() == "10.823100"
        page.get_by_role("button", name="Vào", exact=True).click()
        expect(page.locator("#confirmation")).to_be_visible()
    finally:
        context.close()
    flag = Flag.objects.get()
    assert flag.kind == "remote" and flag.venue_id == restaurant.pk


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_wedge_reader_scan_shows_up_on_the_owners_live_page(browser, login, restaurant, lang):
    lan = visitor()
    code, _expires = issue_app_code(lan.public_id, timezone.now())
    with thread_server() as base:
        contexts = [new_context(browser, base, lang) for _ in range(2)]
        owner, staff = (context.new_page() for context in contexts)
        for page in (owner, staff):
            page.set_default_timeout(10_000)
        login(owner, OWNER, next_path=f"/scan/{restaurant.pk}/live/")
        expect(owner.locator("#live")).to_have_attribute("data-connected", "1")
        expect(owner.locator("#count-in")).to_have_text("0")

        login(staff, STAFF, next_path=f"/scan/{restaurant.pk}/")
        scan_input = staff.locator("#scan-input")
        expect(scan_input).to_be_focused()
        # A keyboard-wedge reader types the payload into the focused field, then Enter. Here
        # the payload arrives as one input, as its keys do at a reader's speed: key by key, a
        # loaded test machine can stall between two keys long enough for the kiosk to end the
        # code there (as it ends a reader's code that comes with no Enter, test_gate.py).
        staff.keyboard.insert_text(code)
        staff.keyboard.press("Enter")
        result = staff.locator("#result")
        expect(result).to_be_visible()
        expect(result).to_have_class(re.compile("result-warn"))  # not declared today
        expect(staff.locator("#result-name")).to_contain_text("Nguyễn T** L**")

        event = owner.locator("#events li").first
        expect(event).to_contain_text("Nguyễn T** L**")
        expect(event).to_contain_text("091****001")
        expect(owner.locator("#count-in")).to_have_text("1")
        expect(owner.locator("#inside li")).to_have_count(1)
        assert "Nguyễn Thị Lan" not in owner.content()
        for context in contexts:
            context.close()
    assert Scan.objects.get(venue=restaurant).person_id == lan.pk


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_kiosk_queues_scans_offline_and_uploads_them_with_their_time(page, login,
                                                                         restaurant, lang):
    lan = visitor()
    code, _expires = issue_app_code(lan.public_id, timezone.now())
    login(page, STAFF, next_path=f"/scan/{restaurant.pk}/")
    expect(page.locator("#scan-input")).to_be_focused()
    # The service worker keeps a copy of the page, so it opens again without network.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#scan-input")).to_be_focused()
    page.keyboard.insert_text(code)
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_have_class(re.compile("result-warn"))
    expect(page.locator("#queue-count")).to_contain_text("1")
    offline_at = timezone.now()
    assert not Scan.objects.exists()
    page.wait_for_timeout(1500)  # the scan keeps the time it was made, not the upload's
    page.context.set_offline(False)
    expect(page.locator("#queue-count")).to_be_hidden()
    scan = Scan.objects.get(venue=restaurant)
    assert scan.accepted and scan.person_id == lan.pk
    assert scan.scanned_at <= offline_at < scan.received_at


def test_the_kiosk_keeps_the_queued_scans_past_the_readers_limit_and_sends_them_later(
        page, login, restaurant, settings):
    """A batch is taken as far as the scan limit goes: the kiosk drops what was answered and
    keeps the items answered 429 for its next upload."""
    from django.core.cache import cache

    settings.SCAN_RATE_PER_MINUTE = 2
    code, _expires = issue_app_code(visitor().public_id, timezone.now())
    login(page, STAFF, next_path=f"/scan/{restaurant.pk}/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.context.set_offline(True)
    page.reload()
    for _ in range(3):
        expect(page.locator("#scan-input")).to_be_focused()
        page.keyboard.insert_text(code)
        page.keyboard.press("Enter")
        expect(page.locator("#result")).to_have_class(re.compile("result-warn"))
    expect(page.locator("#queue-count")).to_contain_text("3")
    page.context.set_offline(False)
    expect(page.locator("#queue-count")).to_contain_text("1")
    assert Scan.objects.filter(venue=restaurant).count() == 2
    cache.clear()  # the minute has passed
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#queue-count")).to_be_hidden()
    assert Scan.objects.filter(venue=restaurant).count() == 3


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_staff_enter_a_visitor_without_a_code_by_phone_or_id_number(page, login, restaurant,
                                                                  t, lang):
    lan = visitor()
    login(page, STAFF, next_path=f"/scan/{restaurant.pk}/")
    # A phone typed into the reader's field counts as a manual entry.
    page.keyboard.insert_text("0912 000 001")
    page.keyboard.press("Enter")
    expect(page.locator("#result-name")).to_contain_text("Nguyễn T** L**")
    page.locator("#result").click()
    page.get_by_role("button", name=t("Nhập tay"), exact=True).click()
    page.fill("#manual-id", "079090000111")
    page.fill("#manual-name", "Lê Văn Tư")
    page.get_by_role("button", name=t("Ghi nhận"), exact=True).click()
    # Entered without a phone: the masked name alone, with no "·" after it.
    expect(page.locator("#result-name")).to_have_text("Lê V** T*")
    assert Scan.objects.filter(venue=restaurant, method="manual").count() == 2
    assert Scan.objects.filter(person=lan).exists()


CHIP_CARD = "001090123456|012345678|Nguyễn Văn Bảy|01011990|Nam|Phường Bến Nghé, TP HCM|15042021"


def stored_queue(page, venue) -> str:
    """Everything this origin keeps in the browser: the offline queue and any IndexedDB."""
    return page.evaluate("""async (key) => {
        const names = indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [];
        return JSON.stringify({queue: localStorage.getItem(key), all: Object.assign({},
                               localStorage), indexedDB: names});
    }""", f"kd-scan-queue-{venue.pk}")


def test_an_offline_chip_card_scan_keeps_only_the_id_number_and_goes_once_answered(
        page, login, restaurant):
    login(page, STAFF, next_path=f"/scan/{restaurant.pk}/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#scan-input")).to_be_focused()
    page.keyboard.insert_text(CHIP_CARD)
    page.keyboard.press("Enter")
    expect(page.locator("#queue-count")).to_contain_text("1")
    held = stored_queue(page, restaurant)
    (item,) = json.loads(json.loads(held)["queue"])
    assert set(item) == {"direction", "nonce", "scanned_at", "id_number"}
    assert item["id_number"] == "001090123456"
    for personal in ("Nguyễn", "Bảy", "1990", "Phường", "Bến Nghé", "15042021", "012345678"):
        assert personal not in held, personal
    assert json.loads(held)["indexedDB"] == []

    # The server cannot take it yet (a part of it is down): it stays queued.
    refusals = []

    def unavailable(route):
        refusals.append(route.request.post_data_json["scans"][0]["nonce"])
        route.fulfill(json={"results": [{"index": 0, "nonce": item["nonce"], "status": 503,
                                         "body": {}}]})

    page.route("**/scans/batch", unavailable)
    page.context.set_offline(False)  # the page uploads when it learns it is online
    for _attempt in range(300):
        if refusals:
            break
        page.wait_for_timeout(100)
    assert set(refusals) == {item["nonce"]}
    expect(page.locator("#queue-count")).to_contain_text("1")
    assert json.loads(json.loads(stored_queue(page, restaurant))["queue"]) == [item]

    # Back: uploaded, answered, and gone from the browser.
    page.unroute("**/scans/batch")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#queue-count")).to_be_hidden()
    assert json.loads(json.loads(stored_queue(page, restaurant))["queue"]) == []
    scan = Scan.objects.get(venue=restaurant)
    assert scan.accepted and scan.nonce == item["nonce"]
    assert decrypt_id(scan.person.id_number_cipher) == "001090123456"
