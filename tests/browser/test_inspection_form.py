"""The inspection form on a phone: the venue found by typing its name, the fine bracket of
the chosen article shown before submitting (an organisation's, then a person's)."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from kiemdich.accounts.models import Role, User
from kiemdich.accounts.services import grant_role
from kiemdich.reports.models import Inspection, ViolationCategory
from kiemdich.venues.codes import address_key, place_key
from kiemdich.venues.models import Venue
from tests.browser.conftest import camera_showing, new_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.path.join(os.environ.get("KIEMDICH_DATA_DIR", "var"), "screenshots")


def test_an_inspector_finds_the_venue_and_sees_the_fine_bracket(browser, live_server, sign_in,
                                                                areas):
    # The catalogue comes with a migration, which a flushed test database no longer has.
    ViolationCategory.objects.get_or_create(code="nd117-d12-k2", defaults={
        "legal_reference": "Điều 12 khoản 2 Nghị định 117/2020/NĐ-CP",
        "title": "Không thực hiện biện pháp chống dịch", "fine_min": 5_000_000,
        "fine_max": 10_000_000})
    Venue.objects.create(code="K7QM2XHP9RTA3", name="Chợ Trảng Dài", venue_type="market",
                         sector="trade", area=areas["25993"], street="1 Đường A",
                         place_key=place_key(address_key(areas["25993"].pk, "1 Đường A"),
                                             "Chợ Trảng Dài"),
                         owner=User.objects.create_user("0912000971"), default_stay_minutes=60)
    inspector = grant_role("0912000972", Role.INSPECTOR, areas["731"]).user
    context = new_context(browser, live_server.url, "vi", viewport={"width": 360, "height": 740})
    sign_in(context, inspector)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/reports/inspections/new/")

    page.fill("#venue-q", "trang dai")
    page.locator("#venue-results a", has_text="Chợ Trảng Dài").click()
    page.wait_for_url("**venue=K7QM2XHP9RTA3**")
    expect(page.locator("#id_venue_code")).to_have_value("K7QM2XHP9RTA3")

    hint = page.locator("#fine-bracket")
    expect(hint).to_be_hidden()
    page.check("input[name=subject][value=venue]")
    page.select_option("#id_result", "violation")
    page.select_option("#id_violation", "nd117-d12-k2")
    expect(hint).to_have_text(
        "Khung tiền phạt (tổ chức, gấp đôi mức cá nhân): 5.000.000 đ – 20.000.000 đ.")
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "inspection-form-360.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.check("input[name=subject][value=person]")
    expect(hint).to_have_text("Khung tiền phạt (cá nhân): 5.000.000 đ – 10.000.000 đ.")
    expect(page.locator("#id_venue_code")).to_be_hidden()
    expect(page.locator("#person-q")).to_be_visible()

    page.check("input[name=subject][value=venue]")
    page.fill("#id_fine", "6000000")
    page.locator("#inspection-form button[type=submit]").click()
    page.wait_for_url("**/reports/inspections/")
    assert Inspection.objects.get().fine == 6_000_000
    context.close()


def _catalogue():
    ViolationCategory.objects.get_or_create(code="nd117-d7-k1", defaults={
        "legal_reference": "Điều 7 khoản 1 Nghị định 117/2020/NĐ-CP",
        "title": "Không khai báo y tế", "fine_min": 1_000_000, "fine_max": 3_000_000})


def test_an_inspector_finds_an_undeclared_person_by_typing_and_records_it(
        browser, live_server, sign_in, areas):
    from kiemdich.reports.models import Organisation, RosterMember

    _catalogue()
    organisation = Organisation.objects.create(name="Công ty May A", area=areas["25993"],
                                               sector="labour")
    worker = RosterMember.objects.create(organisation=organisation, full_name="Lê Văn Công",
                                         phone="+84909990001")
    inspector = grant_role("0912000973", Role.INSPECTOR, areas["731"]).user
    context = new_context(browser, live_server.url, "vi", viewport={"width": 360, "height": 740})
    sign_in(context, inspector)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/reports/inspections/new/")
    page.check("input[name=subject][value=person]")
    page.fill("#person-q", "0909 990")
    # Masked, as an inspector sees a person everywhere.
    page.locator("#person-results a", has_text="Lê V** C***").click()
    page.wait_for_url(f"**member={worker.pk}**")
    expect(page.locator("[data-chosen-person]")).to_contain_text("Công ty May A")
    expect(page.locator("input[name=subject][value=person]")).to_be_checked()
    page.select_option("#id_result", "violation")
    page.select_option("#id_violation", "nd117-d7-k1")
    page.fill("#id_fine", "2000000")
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "inspection-person-360.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#inspection-form button[type=submit]").click()
    page.wait_for_url("**/reports/inspections/")
    assert Inspection.objects.get().roster_member == worker
    context.close()


def test_the_live_camera_reads_the_posters_qr_into_the_form(browser, live_server, sign_in,
                                                           areas, tmp_path):

    Venue.objects.create(code="K7QM2XHP9RTA3", name="Chợ Trảng Dài", venue_type="market",
                         sector="trade", area=areas["25993"], street="1 Đường A",
                         place_key=place_key(address_key(areas["25993"].pk, "1 Đường A"),
                                             "Chợ Trảng Dài"),
                         owner=User.objects.create_user("0912000974"), default_stay_minutes=60)
    inspector = grant_role("0912000975", Role.INSPECTOR, areas["731"]).user
    poster = f"{live_server.url}/v/K7QM2XHP9RTA3"  # what the poster's QR holds
    with camera_showing(browser, live_server.url, poster, tmp_path) as context:
        sign_in(context, inspector)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto("/reports/inspections/new/")
        expect(page.locator("#live-scan")).to_have_attribute("data-camera", "jsqr")
        page.get_by_role("button", name="Quét mã QR bằng camera").click()
        expect(page.locator("#id_venue_code")).to_have_value(poster)
        expect(page.locator("#camera-read")).to_have_text(f"Đã đọc mã: {poster}")
        # The camera stops once it has read the code; the search names the venue.
        expect(page.locator("#camera")).to_be_hidden()
        expect(page.locator("#venue-results a")).to_have_text("Chợ Trảng Dài")
        page.select_option("#id_result", "compliant")
        page.locator("#inspection-form button[type=submit]").click()
        page.wait_for_url("**/reports/inspections/")
        assert Inspection.objects.get().venue.code == "K7QM2XHP9RTA3"
