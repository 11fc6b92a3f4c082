"""A provincial officer logs in by OTP, drills down province → district → commune on the
dashboard and downloads the daily report."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import grant_role
from kiemdich.areas.models import Area
from kiemdich.areas.services import file_tree, load_tree
from kiemdich.core import clock
from kiemdich.reports import rollups

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def province(fixtures_dir):
    from tests.reports.gen import generate

    load_tree(file_tree(fixtures_dir / "areas-3level.json"))
    today = clock.today()
    generate(list(Area.objects.leaves().order_by("code")), [today - timedelta(days=1), today],
             seed=11)
    rollups.refresh(since=today - timedelta(days=2), until=today)
    grant_role("0912000950", Role.OFFICER, Area.objects.get(code="75"))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_officer_drills_down_and_downloads_the_daily_report(page, login, province, lang):
    login(page, "0912000950", next_path="/reports/")
    assert "Tỉnh Đồng Nai" in page.locator("h1").inner_text()
    page.locator("#area-rows").get_by_role("link", name="Thành phố Biên Hòa").click()
    page.wait_for_url("**area=731**")
    assert "Thành phố Biên Hòa" in page.locator("h1").inner_text()
    page.locator("#area-rows").get_by_role("link", name="Phường Trảng Dài").click()
    page.wait_for_url("**area=25993**")
    assert "Phường Trảng Dài" in page.locator("h1").inner_text()
    assert page.locator(".crumbs").get_by_role("link", name="Tỉnh Đồng Nai").is_visible()
    with page.expect_download() as info:
        page.click("#download-pdf")
    download = info.value
    assert download.suggested_filename.startswith("bao-cao-25993-")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
