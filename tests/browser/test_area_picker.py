"""Areas are chosen by name on every form and filter (areas/picker.py): the daily-report
subscription, the officer form, the inspections list; typing part of a name without accents
narrows the options and chooses the first it names."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kiemdich.accounts.models import Grant, Role
from kiemdich.accounts.services import grant_role
from kiemdich.reports.models import ReportSubscription
from tests.browser.conftest import new_context, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser, live_server, sign_in, user):
    context = new_context(browser, live_server.url, "vi", viewport={"width": 360, "height": 740})
    sign_in(context, user)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_an_officer_subscribes_a_commune_by_typing_its_name(browser, live_server, sign_in,
                                                           areas):
    officer = grant_role("0912000881", Role.OFFICER, areas["731"]).user
    context, page = _page(browser, live_server, sign_in, officer)
    page.goto("/reports/daily/")
    select = page.locator("#id_area")
    # Only the officer's district and its communes, by name; no code to type.
    assert select.locator("option").all_inner_texts() == [
        "— Chọn địa bàn —", "Thành phố Biên Hòa", "\u00a0\u00a0Phường Trảng Dài",
        "\u00a0\u00a0Phường Tân Phong"]
    page.fill("#id_area-filter", "tan phong")
    expect(select).to_have_value("2.25996")
    assert select.locator("option").all_inner_texts() == [
        "— Chọn địa bàn —", "Thành phố Biên Hòa", "\u00a0\u00a0Phường Tân Phong"]
    page.fill("#id_emails", "yte@example.org")
    screenshot(page, "daily-subscribe-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("[data-subscription='25996']")).to_contain_text("Phường Tân Phong")
    assert ReportSubscription.objects.get().area == areas["25996"]

    # A name that names nothing leaves only the empty choice, which the form refuses.
    page.fill("#id_area-filter", "khong co")
    expect(select).to_have_value("")
    page.fill("#id_emails", "yte@example.org")
    page.locator("form.card button[type=submit]").click()
    assert page.evaluate("document.getElementById('id_area').validity.valueMissing")
    assert ReportSubscription.objects.count() == 1
    context.close()


def test_an_admin_grants_a_role_over_an_area_chosen_by_name(browser, live_server, sign_in,
                                                           areas):
    admin = grant_role("0912000882", Role.ADMIN, areas["75"]).user
    context, page = _page(browser, live_server, sign_in, admin)
    page.goto("/accounts/officers/new/")
    options = page.locator("#id_area_code option").all_inner_texts()
    # A province's admin: that province and below, not the whole country nor another one.
    assert options[0] == "Tỉnh Đồng Nai" and "Toàn quốc" not in options
    assert not any("Bình Dương" in o or "Thủ Dầu Một" in o for o in options)
    page.fill("#id_phone", "0912000883")
    page.select_option("#id_role", Role.INSPECTOR)
    page.fill("#id_area_code-filter", "long thanh")
    expect(page.locator("#id_area_code")).to_have_value("1.740")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/accounts/officers/*/")
    grant = Grant.objects.get(user__phone="+84912000883")
    assert (grant.role, grant.area) == (Role.INSPECTOR, areas["740"])
    context.close()


def test_the_inspections_list_filters_by_a_name_typed_into_the_same_picker(
        browser, live_server, sign_in, areas):
    inspector = grant_role("0912000884", Role.INSPECTOR, areas["731"]).user
    context, page = _page(browser, live_server, sign_in, inspector)
    page.goto("/reports/inspections/")
    page.fill("#i-area-filter", "trang dai")
    expect(page.locator("#i-area")).to_have_value("2.25993")
    page.locator("form.toolbar button[type=submit]").click()
    page.wait_for_url("**area=2.25993**")
    expect(page.locator("#i-area")).to_have_value("2.25993")
    context.close()
