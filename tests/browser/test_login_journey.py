"""A person logs in by phone + one-time code in a real browser and lands on the home page."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_by_otp_and_lands_on_home(page, login):
    login(page, "0912 345 678")
    assert page.locator("h1").first.inner_text() == "Xin chào"
    assert page.locator("#citizen-home").is_visible()


def test_it_shows_a_wrong_code_in_the_users_language(page, outbox):
    page.goto("/accounts/login/")
    page.fill("input[name=phone]", "0912345678")
    page.click("button[type=submit]")
    page.fill("input[name=code]", "000000" if outbox.last_code("+84912345678") != "000000"
              else "111111")
    page.click("button[type=submit]")
    assert "Mã xác thực không đúng" in page.locator(".error").inner_text()
