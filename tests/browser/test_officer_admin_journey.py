"""A provincial admin, on a phone, gives an officer an account, moves it to another area,
disables it after confirming, and imports a roster whose bad row is reported."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kiemdich.accounts.models import Grant, Role, User
from kiemdich.accounts.services import grant_role
from kiemdich.areas.services import file_tree, load_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_provincial_admin_manages_officer_accounts(browser, live_server, sign_in,
                                                     fixtures_dir, tmp_path, lang, t):
    from kiemdich.areas.models import Area
    from tests.browser.conftest import new_context, screenshot

    load_tree(file_tree(fixtures_dir / "areas-3level.json"))
    admin = grant_role("0912000091", Role.ADMIN, Area.objects.get(code="75")).user
    context = new_context(browser, live_server.url, lang, viewport={"width": 360, "height": 740})
    sign_in(context, admin, lang)
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto("/accounts/officers/")
    page.get_by_role("link", name=t("Cấp tài khoản")).click()
    page.fill("input[name=phone]", "0913 500 001")
    page.fill("input[name=display_name]", "Lê Thị Mai")
    page.select_option("select[name=role]", "health_officer")
    page.fill("#id_area_code-filter", "trang dai")  # the area by name (areas/picker.py)
    screenshot(page, f"officer-new-{lang}")
    page.get_by_role("button", name=t("Cấp quyền")).click()
    page.wait_for_url("**/accounts/officers/*/")
    user = User.objects.get(phone="+84913500001")
    grant = Grant.objects.get(user=user)

    form = page.locator(f'[data-grant="{grant.pk}"] form')
    form.locator("select[name$=role]").select_option("inspector")
    form.locator("input[data-area-filter]").fill("bien hoa")
    form.get_by_role("button", name=t("Lưu thay đổi")).click()
    page.wait_for_load_state()
    assert t("Thanh tra") in page.locator(f'[data-grant="{grant.pk}"] p').first.inner_text()
    screenshot(page, f"officer-detail-{lang}")

    page.click("#disable")
    assert page.locator("#confirm h1").inner_text() == t("Vô hiệu hóa tài khoản")
    assert User.objects.get(pk=user.pk).is_active
    screenshot(page, f"officer-confirm-{lang}")
    page.click("#confirm-action")
    page.wait_for_url(f"**/accounts/officers/{user.pk}/")
    assert page.locator("#account-status").inner_text() == t("Đã vô hiệu hóa")
    assert not User.objects.get(pk=user.pk).is_active

    roster = tmp_path / "roster.csv"
    roster.write_text("phone,role,area_code,sector,display_name\n"
                      "0913500002,officer,731,,\n"
                      "0913500003,officer,25741,,\n", encoding="utf-8")
    page.goto("/accounts/officers/import/")
    page.set_input_files("input[name=file]", str(roster))
    page.get_by_role("button", name=t("Nhập")).click()
    # A task of any size: its page follows it while a worker imports (here, this process).
    page.wait_for_url("**/jobs/**")
    from tests.conftest import run_queued_tasks

    assert run_queued_tasks() == ["rejected"]
    page.reload()
    expect(page.locator("[data-task-status]")).to_have_text(t("Không thực hiện (có dòng lỗi)"))
    expect(page.locator("[data-task-errors]")).to_contain_text("1")
    with page.expect_download() as download:
        page.locator("[data-task-error-file]").first.click()
    from pathlib import Path

    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith('"3","area_code",')
    screenshot(page, f"officer-import-{lang}")
    assert not User.objects.filter(phone="+84913500002").exists()
    context.close()
