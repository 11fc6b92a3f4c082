"""A health officer sees the count of unhandled symptom alerts in the menu, at phone width,
and it drops once the alert is acted on."""

from __future__ import annotations

import os

import pytest

from kiemdich.areas.services import file_tree, load_tree
from tests.conftest import client_for, officer
from tests.people.support import answers, ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_badge_counts_unhandled_alerts(browser, live_server, sign_in, fixtures_dir, lang,
                                           t):
    from kiemdich.areas.models import Area
    from tests.browser.conftest import new_context

    load_tree(file_tree(fixtures_dir / "areas-3level.json"))
    mai = officer("0913200001", "health_officer", Area.objects.get(code="25993"))
    lan = client_for("0912000001")
    me = ready(lan)
    lan.post(f"/api/v1/people/{me}/declarations", answers(cough=True))

    context = new_context(browser, live_server.url, lang, viewport={"width": 360, "height": 740})
    sign_in(context, mai.user, lang)
    page = context.new_page()
    page.goto("/alerts/")
    badge = page.locator("nav [data-unhandled-alerts]")
    assert badge.inner_text() == "1"
    assert badge.get_attribute("title") == t("Chưa xử lý")
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        badge.scroll_into_view_if_needed()
        page.screenshot(path=f"{shots}/alert-badge-{lang}.png")

    page.locator("[data-alert] a").first.click()
    page.select_option("select[name=status]", "called")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator("nav [data-unhandled-alerts]").count() == 0
    context.close()
