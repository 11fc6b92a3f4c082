"""A person logs in by phone + one-time code in a real browser and lands on the home page."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_it_logs_in_by_otp_and_lands_on_home(page, login, t, lang):
    login(page, "0912 345 678")
    assert page.locator("h1").first.inner_text() == t("Xin chào")
    assert page.locator("#citizen-home").is_visible()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_it_shows_a_wrong_code_in_the_users_language(page, outbox, t, lang):
    page.goto("/accounts/login/")
    page.fill("input[name=phone]", "0912345678")
    page.click("button[type=submit]")
    page.fill("input[name=code]", "000000" if outbox.last_code("+84912345678") != "000000"
              else "111111")
    page.click("button[type=submit]")
    assert t("Mã xác thực không đúng.") in page.locator(".error").inner_text()


def test_the_language_switch_turns_the_page_to_english_and_back(page):
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_role("button", name="EN").click()
    page.wait_for_url("**/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Get a code").is_visible()
    assert {c["name"]: c["value"] for c in page.context.cookies()}["kiemdich_lang"] == "en"
    page.get_by_role("button", name="VI").click()
    page.wait_for_url("**/accounts/login/")
    assert page.get_by_role("button", name="Nhận mã").is_visible()
