"""The case page's visits at 360 px: one card per visit, the place's name first, each value
under its column's name; nothing squeezed, nothing wider than the phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import account_for_phone, grant_role
from tests.browser.conftest import new_context, screenshot
from tests.tracing.conftest import World, at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_visits_of_a_case_read_as_cards_on_a_phone(browser, live_server, sign_in, areas):
    officer = grant_role("0912700101", Role.HEALTH_OFFICER, areas["75"]).user
    world = World(areas, account_for_phone("0912700109"))
    f0 = world.person("Phạm Văn Không", phone="+84912700102")
    long_name = "Bệnh viện Đa khoa Thống Nhất Đồng Nai — Khoa Khám bệnh theo yêu cầu"
    for name, hour in ((long_name, 8), ("Chợ Biên Hòa", 11)):
        world.visit(f0, world.venue(name, lat=10.95, lng=106.82), at(10, hour), at(10, hour + 1))
    context = new_context(browser, live_server.url, "vi", viewport={"width": 360, "height": 740})
    sign_in(context, officer)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/tracing/new/")
    page.select_option("select[name=lookup]", "phone")
    page.fill("input[name=value]", "0912 700 102")
    page.fill("input[name=confirmed_at]", "2021-08-15T12:00")
    page.click("button[type=submit]")
    rows = page.locator("#visit-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#visit-rows thead")).to_be_hidden()
    first = rows.first
    expect(first.locator("th")).to_have_text(long_name)
    # Each value beside its column's name, on a line of its own.
    cell = first.locator("td[data-label='Vào']")
    label = cell.evaluate("c => getComputedStyle(c, '::before').content")
    assert label == '"Vào"'
    box, row = cell.bounding_box(), first.bounding_box()
    assert box["width"] >= row["width"] - 40  # the cell spans the card, not a sixth of it
    assert page.evaluate(
        "document.querySelector('#places .table-wrap').scrollWidth"
        " <= document.querySelector('#places .table-wrap').clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#places").screenshot(path=_shot(page))
    screenshot(page, "case-360")
    context.close()


def _shot(page) -> str:
    import os

    shots = os.path.join(os.environ.get("KIEMDICH_DATA_DIR", "var"), "screenshots")
    os.makedirs(shots, exist_ok=True)
    return os.path.join(shots, "case-visits-360.png")
