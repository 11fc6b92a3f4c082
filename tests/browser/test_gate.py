"""The kiosk at the gate on a cheap phone: a long Vietnamese venue name at 320 and 360 px,
readers that end a code with Tab or with nothing, the manual form that stays open, and the
camera still that is made smaller before it is sent."""

from __future__ import annotations

import io
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kiemdich.accounts.services import account_for_phone
from kiemdich.people.codes import issue_app_code
from kiemdich.people.models import Person
from kiemdich.scans.access import forget
from kiemdich.scans.models import Scan
from kiemdich.venues.models import VenueStaff
from tests.browser.conftest import camera_showing, fill_login, new_context
from tests.scans.conftest import make_venue

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWNER, STAFF, VISITOR = "0912000702", "0912000704", "0912000701"
LONG_NAME = "Bệnh viện Đa khoa Khu vực Củ Chi — Khoa Khám bệnh Truyền nhiễm"
SHOTS = os.path.join(os.environ.get("KIEMDICH_DATA_DIR", "var"), "screenshots")


@pytest.fixture
def hospital(areas):
    forget()
    venue = make_venue(account_for_phone(OWNER), LONG_NAME, venue_type="hospital",
                       street="Số 1 Đường Nguyễn Văn Hoài, Khu phố 7")
    VenueStaff.objects.create(venue=venue, phone=account_for_phone(STAFF).phone)
    yield venue
    forget()


def lan_code() -> str:
    person = Person.objects.get(account=account_for_phone(VISITOR), is_self=True)
    person.full_name = "Nguyễn Thị Lan"
    person.save()
    return issue_app_code(person.public_id, timezone.now())[0]


def kiosk(browser, base_url, sign_in, venue, width: int = 360):
    context = new_context(browser, base_url, "vi", viewport={"width": width, "height": 740})
    sign_in(context, account_for_phone(STAFF))
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/scan/{venue.pk}/")
    expect(page.locator("#scan-input")).to_be_focused()
    return page


@pytest.mark.parametrize("width", [320, 360])
def test_a_long_vietnamese_name_holds_at_phone_width(browser, live_server, sign_in, hospital,
                                                     width):
    page = kiosk(browser, live_server.url, sign_in, hospital, width)
    title = page.locator(".kiosk-title")
    expect(title).to_have_text(LONG_NAME)
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"kiosk-{width}.png"), full_page=True)
    # Words stay whole: the title takes the width of the page, not one letter a line.
    box = title.bounding_box()
    assert box["width"] > width * 0.8, box
    words = page.evaluate("""() => {
        const h = document.querySelector('.kiosk-title');
        const range = document.createRange();
        const lines = new Set();
        const node = h.firstChild;
        for (let i = 0; i < node.length; i++) {
            range.setStart(node, i); range.setEnd(node, i + 1);
            const r = range.getBoundingClientRect();
            if (r.width) lines.add(Math.round(r.top));
        }
        return lines.size;
    }""")
    assert words <= 5, words
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.context.close()


@pytest.mark.parametrize("ending", ["Tab", "pause"])
def test_a_reader_that_ends_a_code_with_tab_or_nothing_scans(browser, live_server, sign_in,
                                                            hospital, ending):
    code = lan_code()
    page = kiosk(browser, live_server.url, sign_in, hospital)
    page.keyboard.type(code)
    if ending == "Tab":
        page.keyboard.press("Tab")
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#result-name")).to_contain_text("Nguyễn T** L**")
    expect(page.locator("#scan-input")).to_have_value("")
    scan = Scan.objects.get(venue=hospital)
    assert scan.accepted and scan.method == "staff"
    page.locator("#result").click()
    expect(page.locator("#scan-input")).to_be_focused()
    page.context.close()


def test_a_phone_typed_by_hand_is_not_cut_short_by_a_pause(browser, live_server, sign_in,
                                                          hospital):
    lan_code()
    page = kiosk(browser, live_server.url, sign_in, hospital)
    # A person types slower than any reader: the number goes when they press Enter, whole.
    page.keyboard.type("0912000701", delay=400)
    page.keyboard.press("Enter")
    expect(page.locator("#result-name")).to_contain_text("Nguyễn T** L**")
    scan = Scan.objects.get(venue=hospital)
    assert scan.accepted and scan.method == "manual"
    page.context.close()


def test_the_manual_form_stays_open_for_the_next_person(browser, live_server, sign_in,
                                                        hospital):
    lan_code()
    page = kiosk(browser, live_server.url, sign_in, hospital, 320)
    page.get_by_role("button", name="Nhập tay", exact=True).click()
    page.fill("#manual-id", "0912 000 701")
    page.get_by_role("button", name="Ghi nhận", exact=True).click()
    expect(page.locator("#result-name")).to_contain_text("Nguyễn T** L**")
    page.locator("#result").click()
    expect(page.locator("#manual-form")).to_be_visible()
    expect(page.locator("#manual-id")).to_have_value("")
    expect(page.locator("#manual-id")).to_be_focused()
    # Bad input: a number that is neither a phone nor an ID is refused with a message, and the
    # form is still there.
    page.fill("#manual-id", "12")
    page.get_by_role("button", name="Ghi nhận", exact=True).click()
    expect(page.locator("#result")).to_have_class(re.compile("result-bad"))
    expect(page.locator("#result-detail")).not_to_be_empty()
    page.locator("#result").click()
    expect(page.locator("#manual-form")).to_be_visible()
    assert Scan.objects.filter(venue=hospital, accepted=True).count() == 1
    page.context.close()


def qr_photo(text: str, side: int) -> bytes:
    """A camera still of `side` × 3/4 `side` pixels with the QR code in the middle."""
    import segno
    from PIL import Image

    drawn = io.BytesIO()
    segno.make(text, error="m").save(drawn, kind="png", scale=max(4, side // 120), border=4)
    code = Image.open(drawn).convert("RGB")
    # Sensor noise on a grey table, as a phone's photo has: it does not compress away.
    size = (side, side * 3 // 4)
    photo = Image.merge("RGB", [Image.effect_noise(size, 40).point(lambda v: v // 2 + 110)] * 3)
    photo.paste(code, ((photo.width - code.width) // 2, (photo.height - code.height) // 2))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92)
    return out.getvalue()


def test_a_camera_still_is_made_smaller_before_it_is_sent(browser, live_server, sign_in,
                                                          hospital, tmp_path):
    from PIL import Image

    code = lan_code()
    big = tmp_path / "still.jpg"
    big.write_bytes(qr_photo(code, 4000))  # a 12 MP still
    page = kiosk(browser, live_server.url, sign_in, hospital)
    sent = []

    def keep(route):
        sent.append(route.request.post_data_buffer)
        route.continue_()

    page.route("**/decode-photo", keep)
    page.set_input_files("#photo-input", str(big))
    expect(page.locator("#result-name")).to_contain_text("Nguyễn T** L**")
    (body,) = sent
    jpeg = body[body.index(b"\xff\xd8\xff"):]
    width, height = Image.open(io.BytesIO(jpeg)).size
    assert (width, height) == (1600, 1200)
    assert len(body) < big.stat().st_size
    assert Scan.objects.get(venue=hospital).accepted
    page.context.close()


def test_the_kiosk_works_offline_from_its_first_load(browser, live_server, sign_in, hospital):
    """Loaded once, the network goes: a reload still opens the kiosk, a scan waits in the
    queue, and goes up when the network is back."""
    code = lan_code()
    page = kiosk(browser, live_server.url, sign_in, hospital, 320)
    expect(page.locator("#kiosk")).to_have_attribute("data-offline-ready", "1")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.context.set_offline(True)
    page.reload()
    expect(page.locator(".kiosk-title")).to_have_text(LONG_NAME)
    expect(page.locator("#scan-input")).to_be_focused()
    page.keyboard.insert_text(code)
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_have_class(re.compile("result-warn"))
    expect(page.locator("#queue-count")).to_contain_text("1")
    assert not Scan.objects.exists()
    page.context.set_offline(False)
    expect(page.locator("#queue-count")).to_be_hidden(timeout=20_000)
    assert Scan.objects.get(venue=hospital).accepted
    page.context.close()



# The kiosk's own sign-in --------------------------------------------------------------------

def idle_past_timeout(context) -> None:
    """The staff member's portal session as it is after 31 quiet minutes at the gate."""
    from importlib import import_module

    from django.conf import settings

    (cookie,) = [c for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    session = import_module(settings.SESSION_ENGINE).SessionStore(cookie["value"])
    session["kd_seen"] = session["kd_seen"] - settings.SESSION_IDLE_SECONDS - 60
    session.save()


def kiosk_token(page, venue) -> dict:
    expect(page.locator("#kiosk")).to_have_attribute("data-offline-ready", "1")
    page.wait_for_function("k => JSON.parse(localStorage.getItem(k) || '{}').token",
                           arg=f"kd-kiosk-{venue.pk}")
    return page.evaluate("k => JSON.parse(localStorage.getItem(k))", f"kd-kiosk-{venue.pk}")


def scan_code(page, code: str) -> None:
    """A reader that ends its code with Enter (the code as one input, as a reader's keys
    arrive: test_scan_journeys.py says why)."""
    expect(page.locator("#scan-input")).to_be_focused()
    page.keyboard.insert_text(code)
    page.keyboard.press("Enter")


def test_a_kiosk_idle_past_the_session_timeout_keeps_scanning(browser, live_server, sign_in,
                                                              hospital):
    from kiemdich.venues.models import Device

    code = lan_code()
    page = kiosk(browser, live_server.url, sign_in, hospital, 320)
    kiosk_token(page, hospital)
    device = Device.objects.get(venue=hospital)
    assert device.kind == "kiosk" and device.enrolled_by.phone.endswith("912000704")
    idle_past_timeout(page.context)
    # The portal session is over: its pages ask for a login...
    live = page.request.get(f"/scan/{hospital.pk}/live/", max_redirects=0)
    assert live.status == 302 and "/accounts/login/" in live.headers["location"]
    scan_code(page, code)
    expect(page.locator("#result")).to_have_class(re.compile("result-warn"))
    expect(page.locator("#result-name")).to_contain_text("Nguyễn T** L**")
    expect(page.locator("#kiosk-state")).to_be_hidden()
    # ...and a reload of the kiosk still opens the kiosk, which still scans.
    page.reload()
    expect(page.locator(".kiosk-title")).to_have_text(LONG_NAME)
    scan_code(page, code)
    expect(page.locator("#result-name")).to_contain_text("Nguyễn T** L**")
    assert Scan.objects.filter(venue=hospital, accepted=True, device=device).count() == 2
    page.context.close()


def test_when_the_shift_is_over_scans_wait_for_the_next_sign_in(browser, live_server, sign_in,
                                                                outbox, hospital):
    from kiemdich.venues import devices
    from kiemdich.venues.models import Device

    code = lan_code()
    page = kiosk(browser, live_server.url, sign_in, hospital, 360)
    first = kiosk_token(page, hospital)
    idle_past_timeout(page.context)
    Device.objects.filter(venue=hospital).update(expires_at=timezone.now())
    devices._readers.forget()
    # The visitor is not turned away: the scan waits, and the kiosk asks for a sign-in.
    scan_code(page, code)
    expect(page.locator("#result")).to_have_class(re.compile("result-warn"))
    expect(page.locator("#result-title")).to_have_text(
        "Đã lưu: sẽ gửi khi nhân viên đăng nhập lại")
    expect(page.locator("#kiosk-state")).to_have_attribute("data-state", "signin")
    expect(page.locator("#queue-count")).to_contain_text("1")
    assert not Scan.objects.exists()
    page.locator("#result").click()
    scan_code(page, code)  # the next one waits too, without asking the server again
    expect(page.locator("#queue-count")).to_contain_text("2")
    page.screenshot(path=os.path.join(SHOTS, "kiosk-signin-360.png"), full_page=True)

    page.locator("#kiosk-signin").click()
    fill_login(page, outbox, STAFF)
    expect(page.locator(".kiosk-title")).to_have_text(LONG_NAME)
    expect(page.locator("#queue-count")).to_be_hidden(timeout=20_000)
    expect(page.locator("#kiosk-state")).to_be_hidden()
    assert Scan.objects.filter(venue=hospital, accepted=True).count() == 2
    kiosks = Device.objects.filter(venue=hospital).order_by("pk")
    assert [bool(d.revoked_at) for d in kiosks] == [True, False]
    assert kiosk_token(page, hospital)["token"] != first["token"]
    page.context.close()


def test_a_revoked_kiosk_stops_and_says_so(browser, live_server, sign_in, hospital):
    from kiemdich.venues import services
    from kiemdich.venues.models import Device

    code = lan_code()
    page = kiosk(browser, live_server.url, sign_in, hospital, 320)
    kiosk_token(page, hospital)
    device = Device.objects.get(venue=hospital)
    services.revoke_device(hospital, account_for_phone(OWNER), device.pk)
    scan_code(page, code)
    expect(page.locator("#result")).to_have_class(re.compile("result-bad"))
    expect(page.locator("#result-detail")).to_have_text(
        "Máy này đã bị chủ địa điểm thu hồi quyền quét mã.")
    expect(page.locator("#kiosk-state")).to_have_attribute("data-state", "revoked")
    page.locator("#result").click()
    expect(page.locator("#scan-input")).to_be_hidden()
    page.screenshot(path=os.path.join(SHOTS, "kiosk-revoked-320.png"), full_page=True)
    # It stays stopped when the page is opened again, though the session is still valid.
    page.reload()
    expect(page.locator("#kiosk-state")).to_have_attribute("data-state", "revoked")
    expect(page.locator("#scan-input")).to_be_hidden()
    assert Device.objects.filter(venue=hospital).count() == 1
    assert not Scan.objects.filter(accepted=True).exists()
    page.context.close()


# Today's declaration, as a colour -------------------------------------------------------------

def declare_today(sick: bool) -> None:
    from kiemdich.declarations.models import Declaration

    person = Person.objects.get(account=account_for_phone(VISITOR), is_self=True)
    Declaration.objects.create(person=person, created_at=timezone.now(),
                               local_date=timezone.localdate(), fever=sick, has_symptoms=sick)


@pytest.mark.parametrize("sick,kind,title", [
    (True, "result-bad", "Có triệu chứng — hướng dẫn đến y tế"),
    (False, "result-ok", "Đã khai báo hôm nay"),
    (None, "result-warn", "Chưa khai báo hôm nay"),
])
def test_the_staff_screen_shows_todays_declaration_as_a_colour(browser, live_server, sign_in,
                                                               hospital, sick, kind, title):
    code = lan_code()
    if sick is not None:
        declare_today(sick)
    page = kiosk(browser, live_server.url, sign_in, hospital, 320)
    scan_code(page, code)
    result = page.locator("#result")
    expect(result).to_have_class(re.compile(kind))
    expect(result).to_have_attribute(
        "data-declaration", {True: "symptoms", False: "declared", None: "not_declared"}[sick])
    expect(page.locator("#result-title")).to_have_text(title)
    expect(page.locator("#result-name")).to_contain_text("Nguyễn T** L**")
    page.screenshot(path=os.path.join(SHOTS, f"kiosk-declaration-{kind}-320.png"))
    page.context.close()


def test_the_visitors_confirmation_shows_their_declaration(browser, live_server, sign_in,
                                                           hospital):
    lan_code()
    declare_today(True)
    context = new_context(browser, live_server.url, "vi", viewport={"width": 360, "height": 740})
    sign_in(context, account_for_phone(VISITOR))
    page = context.new_page()
    page.goto(f"/v/{hospital.code}")
    page.get_by_role("button", name="Vào", exact=True).click()
    chip = page.locator("#confirmation .declaration")
    expect(chip).to_have_attribute("data-declaration", "symptoms")
    expect(chip).to_have_text("Có triệu chứng — hướng dẫn đến y tế")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=os.path.join(SHOTS, "confirmation-symptoms-360.png"), full_page=True)
    context.close()


# The poster and the visitor -------------------------------------------------------------------

@pytest.mark.parametrize("width", [320, 360])
def test_the_posters_page_says_where_and_what_then_logs_in_and_comes_back(
        browser, live_server, outbox, hospital, width):
    lan_code()
    context = new_context(browser, live_server.url, "vi",
                          viewport={"width": width, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/v/{hospital.code}")
    expect(page.locator("#venue-name")).to_have_text(LONG_NAME)
    expect(page.locator("#venue-address")).to_contain_text("Số 1 Đường Nguyễn Văn Hoài")
    expect(page.locator("#checkin-intro h2")).to_have_text("Ghi nhận vào/ra là gì?")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=os.path.join(SHOTS, f"poster-intro-{width}.png"), full_page=True)
    page.locator("#checkin-login").click()
    fill_login(page, outbox, VISITOR)
    # Back at the check-in of the same place, ready for the one tap.
    expect(page.locator("#venue-name")).to_have_text(LONG_NAME)
    assert page.url.endswith(f"/v/{hospital.code}")
    page.get_by_role("button", name="Vào", exact=True).click()
    expect(page.locator("#confirmation")).to_be_visible()
    assert Scan.objects.get(venue=hospital).method == "self"
    context.close()


def test_a_visitor_types_the_posters_manual_code(browser, live_server, sign_in, hospital):
    from kiemdich.documents.posters import format_short_code

    lan_code()
    context = new_context(browser, live_server.url, "vi", viewport={"width": 320, "height": 740})
    sign_in(context, account_for_phone(VISITOR))
    page = context.new_page()
    page.goto("/")
    page.locator("#enter-venue-code").click()
    # Garbage first: refused, saying what a code looks like.
    page.fill("#venue-code-input", "abc-12")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.locator("#code-error")).to_contain_text("gồm 13 chữ và số")
    expect(page.locator("#venue-code-input")).to_have_value("abc-12")
    page.screenshot(path=os.path.join(SHOTS, "enter-code-error-320.png"), full_page=True)
    # As printed, but in lower case with spaces for the dashes.
    page.fill("#venue-code-input", format_short_code(hospital.code).lower().replace("-", " "))
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.locator("#venue-name")).to_have_text(LONG_NAME)
    page.get_by_role("button", name="Vào", exact=True).click()
    expect(page.locator("#confirmation")).to_be_visible()
    context.close()


# A live camera without BarcodeDetector --------------------------------------------------------

def test_a_live_camera_without_barcode_detector_decodes_with_our_own_jsqr(
        browser, live_server, sign_in, hospital, tmp_path):
    code = lan_code()
    with camera_showing(browser, live_server.url, code, tmp_path) as context:
        sign_in(context, account_for_phone(STAFF))
        page = context.new_page()
        page.set_default_timeout(20_000)
        loaded = []
        page.on("response", lambda r: loaded.append(r.url) if "jsQR" in r.url else None)
        page.goto(f"/scan/{hospital.pk}/")
        expect(page.locator("#kiosk")).to_have_attribute("data-camera", "jsqr")
        page.get_by_role("button", name="Camera", exact=True).click()
        expect(page.locator("#result-name")).to_contain_text("Nguyễn T** L**")
        assert loaded and all(u.startswith(live_server.url + "/static/vendor/jsqr/")
                              for u in loaded), loaded
        page.locator("#result").click()
        page.get_by_role("button", name="Camera", exact=True).click()  # off again
        expect(page.locator("#camera")).to_be_hidden()
        # The code held in front of the camera is one scan (again only after a few seconds).
        scans = list(Scan.objects.filter(venue=hospital))
        assert scans and all(s.accepted and s.method == "staff" for s in scans)
