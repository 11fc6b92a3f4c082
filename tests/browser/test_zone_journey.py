"""A district officer, on a phone, draws a lockdown zone on a commune: it is on the zones
page and its map, on the district's page, and its residents on the must-declare list; then
the officer lifts it after confirming."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import grant_role
from kiemdich.areas.services import file_tree, load_tree
from kiemdich.zones.models import Zone
from tests.conftest import client_for
from tests.people.support import ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_officer_draws_and_lifts_a_zone(browser, live_server, sign_in, fixtures_dir, lang,
                                           t):
    from kiemdich.areas.models import Area
    from tests.browser.conftest import new_context, screenshot

    load_tree(file_tree(fixtures_dir / "areas-3level.json"))
    officer = grant_role("0913700001", Role.OFFICER, Area.objects.get(code="731")).user
    resident = client_for("0912000001")
    ready(resident, commune="25993", name="Trần Thị Lan")
    owner = client_for("0912000002")
    for name, lat, lng in (("Chợ Trảng Dài", 10.985, 106.86), ("Trường Trảng Dài", 10.99, 106.87)):
        assert owner.post("/api/v1/venues", {"name": name, "venue_type": "market",
                                             "area_code": "25993", "street": "1",
                                             "latitude": lat, "longitude": lng}
                          ).status_code == 201

    context = new_context(browser, live_server.url, lang, viewport={"width": 360, "height": 740})
    sign_in(context, officer, lang)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/zones/")
    page.get_by_role("link", name=t("Khoanh vùng mới")).click()
    page.select_option("select[name=kind]", "lockdown")
    page.fill("#id_area_code-filter", "trang dai")  # the area by name (areas/picker.py)
    page.fill("input[name=starts_on]", timezone.localdate().isoformat())
    page.fill("input[name=ends_on]", (timezone.localdate() + timedelta(days=14)).isoformat())
    page.fill("textarea[name=reason]", "Ổ dịch tại chợ")
    screenshot(page, f"zone-new-{lang}")
    page.get_by_role("button", name=t("Lưu")).click()
    page.wait_for_url("**/zones/")
    zone = Zone.objects.get()
    row = page.locator(f'#zones-current [data-zone="{zone.pk}"]')
    assert t("Vùng phong tỏa") in row.inner_text()
    assert page.locator(f'svg circle[data-zone="{zone.pk}"]').count() == 1
    screenshot(page, f"zone-list-{lang}")

    page.goto("/reports/?area=731")
    assert page.locator(f'#area-zones [data-zone="{zone.pk}"]').is_visible()
    page.goto("/reports/compliance/?kind=roster&area=731")
    assert "Trần Thị Lan" in page.locator("main").inner_text()

    page.goto("/zones/")
    row.get_by_role("link", name=t("Dỡ bỏ")).click()
    assert page.locator("#confirm h1").inner_text() == t("Dỡ bỏ vùng")
    screenshot(page, f"zone-lift-{lang}")
    page.click("#confirm-action")
    page.wait_for_url("**/zones/")
    assert page.locator("#zones-current [data-zone]").count() == 0
    assert Zone.objects.get().ended_at is not None
    context.close()
