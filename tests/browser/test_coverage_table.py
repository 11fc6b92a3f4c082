"""The coverage table per child area on a phone: sorted by a tap on a header, exported to
the same rows (through the export's task page), and nothing wider than the screen but the
table's own scroller."""

from __future__ import annotations

import csv
import os
from datetime import date

import pytest

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import grant_role
from tests.browser.conftest import new_context
from tests.conftest import run_queued_tasks
from tests.reports.gen import seed_compliance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = date(2021, 10, 12)
SHOTS = os.path.join(os.environ.get("KIEMDICH_DATA_DIR", "var"), "screenshots")


@pytest.mark.parametrize("width", [320, 360])
def test_an_officer_sorts_and_exports_the_coverage_table(browser, live_server, sign_in, areas,
                                                         width):
    seed_compliance(areas, DAY)
    officer = grant_role("0912000960", Role.OFFICER, areas["75"]).user
    context = new_context(browser, live_server.url, "vi",
                          viewport={"width": width, "height": 740}, accept_downloads=True)
    sign_in(context, officer)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/reports/coverage/?area=75&date_to={DAY.isoformat()}")
    rows = page.locator("#coverage-rows tbody tr")
    assert [r.get_attribute("data-area") for r in rows.all()] == ["731", "740"]
    page.locator("#coverage-rows thead a", has_text="Người phải khai báo chưa khai báo").click()
    page.wait_for_url("**sort=-undeclared**")
    assert [r.get_attribute("data-area") for r in rows.all()] == ["731", "740"]
    page.locator("#coverage-rows thead a", has_text="Người phải khai báo chưa khai báo").click()
    page.wait_for_url("**sort=undeclared**")
    assert [r.get_attribute("data-area") for r in rows.all()] == ["740", "731"]
    # The page itself does not scroll sideways; the table scrolls inside its wrapper.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"coverage-{width}.png"), full_page=True)

    shown = [c.inner_text() for c in rows.nth(1).locator("td").all()]
    # The export is a task: its page follows it, then offers the file.
    page.click("#export-csv")
    page.wait_for_url("**/jobs/tasks/*/")
    assert run_queued_tasks() == ["done"]
    page.reload()
    with page.expect_download() as info:
        page.click("[data-task-download]")
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        exported = list(csv.reader(handle))
    assert [row[0] for row in exported[1:]] == ["740", "731"]
    assert exported[2][1] == shown[0] == "Thành phố Biên Hòa"
    assert exported[2][5:] == shown[4:]
    context.close()
