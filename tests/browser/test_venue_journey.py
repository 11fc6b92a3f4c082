"""An owner, in a real browser: registers a place, downloads its poster, adds a staff phone and
creates a token for a dedicated reader, which then scans with it."""

from __future__ import annotations

import os
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.utils import timezone

from kiemdich.accounts.services import account_for_phone
from kiemdich.people.codes import issue_app_code
from kiemdich.people.models import Person
from kiemdich.scans.models import Scan
from kiemdich.venues.models import Venue

# Playwright's sync API drives its own event loop in this thread; the ORM calls the test
# makes around it stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_owner_registers_a_place_prints_its_poster_adds_staff_and_a_reader(
        browser, live_server, page, login, areas, outbox, tmp_path, t, lang):
    login(page, "0912 000 002", "/venues/new/")
    page.fill("input[name=name]", "Quán Phở Hà Nội")
    page.select_option("select[name=venue_type]", "restaurant")
    assert page.get_attribute("input[name=default_stay_minutes]", "placeholder") == "90"
    page.select_option("select[name=province]", "75")
    # The communes of the chosen province arrive by htmx.
    page.wait_for_selector("select[name=area_code] option[value='25996']", state="attached")
    page.select_option("select[name=area_code]", "25996")
    page.fill("input[name=street]", "123 Đường Bùi Văn Hòa")
    page.click("#venue-form button[type=submit]")
    page.wait_for_selector("#venue-code")

    venue = Venue.objects.get()
    assert venue.name == "Quán Phở Hà Nội" and venue.area.code == "25996"
    assert page.get_attribute("#venue-code", "data-code") == venue.code
    assert page.inner_text("#venue-code").replace("-", "") == venue.code
    # The poster preview loads (an image the browser could decode).
    page.wait_for_function("() => document.querySelector('.poster-preview').naturalWidth > 0")

    with page.expect_download() as download:
        page.click("a[data-poster=A4]")
    path = Path(tmp_path / "poster.pdf")
    download.value.save_as(path)
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF")
    image = pdfium.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    decoded = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [b.text for b in decoded] == [venue.checkin_url]

    page.fill("#staff input[name=phone]", "0912 000 004")
    page.locator("#staff").get_by_role("button", name=t("Thêm nhân viên")).click()
    page.wait_for_selector("#staff [data-staff='+84912000004']")
    assert "0912000004" in page.inner_text("#staff")
    assert any(m["phone"] == "+84912000004" and "Quán Phở Hà Nội" in m["text"]
               for m in outbox.messages())

    # A dedicated reader: its token is shown once, and the reader scans with it alone.
    page.fill("#devices input[name=name]", "Cổng chính")
    page.locator("#devices").get_by_role("button", name=t("Tạo mã khóa máy quét")).click()
    token = page.inner_text("#device-token").strip()
    assert t("Chỉ hiện một lần: hãy nhập ngay vào máy quét (tiêu đề Authorization: Device, sau "
             "đó là mã khóa).") in page.inner_text("#devices")
    visitor = Person.objects.get(account=account_for_phone("0912000001"), is_self=True)
    code, _expires = issue_app_code(visitor.public_id, timezone.now())
    reader = browser.new_context(base_url=live_server.url)  # no session: the token alone
    try:
        answer = reader.request.post(f"/api/v1/venues/{venue.pk}/scans",
                                     data={"code": code, "direction": "in"},
                                     headers={"Authorization": f"Device {token}"})
        assert answer.status == 201, answer.text()
    finally:
        reader.close()
    assert Scan.objects.get(venue=venue).method == "device"
    page.goto(f"/venues/{venue.pk}/")
    assert token not in page.content()  # shown once only
    assert t("Chưa dùng") not in page.inner_text("#devices")
