"""Dates are typed and shown as dd/mm/yyyy whatever the browser's language: a native date
input shows the browser's own format (mm/dd/yyyy in an English Chromium even on a page with
lang="vi"), so the dates people type are text inputs read as dd/mm/yyyy (core.forms)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import grant_role
from kiemdich.zones.models import Zone
from tests.browser.conftest import new_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser, live_server, sign_in, user, lang="en"):
    # An English browser: where a native input would show mm/dd/yyyy.
    context = new_context(browser, live_server.url, lang, viewport={"width": 360, "height": 740})
    sign_in(context, user, lang)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_a_filter_takes_and_shows_dd_mm_yyyy_in_an_english_browser(browser, live_server,
                                                                   sign_in, areas):
    inspector = grant_role("0912000891", Role.INSPECTOR, areas["731"]).user
    context, page = _page(browser, live_server, sign_in, inspector)
    page.goto("/reports/inspections/")
    day_from = page.locator("#i-from")
    expect(day_from).to_have_attribute("placeholder", "dd/mm/yyyy")
    assert day_from.get_attribute("type") == "text"
    day_from.fill("1/10/2021")
    page.locator("#i-to").fill("12/10/2021")
    page.locator("form.toolbar button[type=submit]").click()
    page.wait_for_url("**date_from=1%2F10%2F2021**")
    # 1 October, not 10 January: shown back as written in Vietnam.
    expect(page.locator("#i-from")).to_have_value("01/10/2021")
    expect(page.locator("#i-to")).to_have_value("12/10/2021")
    # A day that does not exist is refused, saying which forms are read.
    page.goto("/reports/inspections/?date_from=31/02/2021")
    expect(page.locator("[role=alert]").first).to_contain_text("dd/mm/yyyy")
    context.close()


def test_a_zone_is_drawn_with_dates_typed_as_dd_mm_yyyy(browser, live_server, sign_in, areas):
    officer = grant_role("0912000892", Role.OFFICER, areas["731"]).user
    context, page = _page(browser, live_server, sign_in, officer, lang="vi")
    page.goto("/zones/new/")
    today = timezone.localdate()
    # The form starts on today, written as people write it.
    expect(page.locator("input[name=starts_on]")).to_have_value(today.strftime("%d/%m/%Y"))
    page.select_option("select[name=kind]", "quarantine")
    page.fill("#id_area_code-filter", "tan phong")
    end = today + timedelta(days=14)
    page.fill("input[name=ends_on]", end.strftime("%d/%m/%Y"))
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/zones/")
    zone = Zone.objects.get()
    assert (zone.starts_on, zone.ends_on) == (today, end)
    assert isinstance(zone.ends_on, date)
    context.close()
