"""The portal is installable: a valid manifest with icons Chromium accepts, a service worker
over the whole site that keeps the shell and the personal QR page for offline use, and the
kiosk's own worker still in charge of /scan/."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from kiemdich.accounts.services import account_for_phone
from kiemdich.people.models import Person
from tests.scans.conftest import make_venue

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_manifest_is_valid_and_chromium_finds_the_app_installable(page, client):
    response = client.get("/manifest.webmanifest", HTTP_COOKIE="kiemdich_lang=en")
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["lang"] == "en" and data["start_url"] == "/" and data["display"] == "standalone"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in data["icons"]}
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon

    page.goto("/")
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert [e for e in manifest["errors"] if e.get("critical")] == []
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")
              ["installabilityErrors"]]
    # Playwright's contexts are private windows, where Chromium never offers to install.
    assert [e for e in errors if e != "in-incognito"] == [], errors


def test_the_service_worker_keeps_the_personal_code_for_offline_use(page, sign_in, areas):
    citizen = account_for_phone("0912400101")
    me = Person.objects.get(account=citizen, is_self=True)
    me.full_name, me.area = "Trần Thị Lan", areas["25993"]
    me.save()
    sign_in(page.context, citizen)
    page.goto(f"/people/{me.pk}/qr/")
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope.endswith("/") and "/scan/" not in scope
    page.reload()  # now controlled: this visit is the copy kept for later
    page.wait_for_selector(".qr-code svg")
    page.context.set_offline(True)
    try:
        page.reload()
        expect(page.locator(".qr-name")).to_have_text("Trần Thị Lan")
        page.goto("/venues/new/")
        expect(page.locator("#offline")).to_be_visible()
    finally:
        page.context.set_offline(False)


def test_the_kiosk_keeps_its_own_worker(page, sign_in, areas):
    owner = account_for_phone("0912400102")
    venue = make_venue(owner, "Quán Phở Hòa")
    sign_in(page.context, owner)
    page.goto("/")
    page.evaluate("navigator.serviceWorker.ready")
    page.goto(f"/scan/{venue.pk}/")
    expect(page.locator("#scan-input")).to_be_focused()
    scopes = page.evaluate("navigator.serviceWorker.getRegistrations()"
                           ".then(rs => rs.map(r => new URL(r.scope).pathname).sort())")
    assert "/scan/" in scopes
    assert page.evaluate("navigator.serviceWorker.ready.then(r => new URL(r.scope).pathname)") \
        == "/scan/"
