"""Every page of the journeys, in Vietnamese and in English, on a 360 px phone: no external
request, no sideways scrolling, within the page budget, no serious or critical axe-core
violation, and no Vietnamese interface text on the English pages."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.accounts.scopes import scope_of
from kiemdich.accounts.services import account_for_phone, grant_role
from kiemdich.declarations.services import declare
from kiemdich.people.models import Person
from kiemdich.people.services import CONSENT_VERSION, give_consent
from kiemdich.tracing.services import register_case
from kiemdich.venues.models import VenueStaff
from kiemdich.zones.services import draw
from tests.browser.audit import PHONE, Auditor, problems
from tests.scans.conftest import make_venue
from tests.tracing.conftest import World, at

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWERS = {q: False for q in ("visited_places", "fever", "cough", "shortness_of_breath",
                              "pneumonia", "sore_throat", "fatigue", "contact_case",
                              "contact_from_outbreak", "contact_symptomatic")}


@pytest.fixture
def town(areas):
    """One of everything a journey shows: a family that declared, a restaurant with staff,
    a symptom alert, a traced case, and the officials who look at them."""
    citizen = account_for_phone("0912400001")
    me = Person.objects.get(account=citizen, is_self=True)
    me.full_name, me.area, me.street = "Trần Thị Lan", areas["25993"], "25 Phạm Văn Thuận"
    me.save()
    give_consent(citizen, CONSENT_VERSION)
    declare(me, citizen, ANSWERS)
    child = World(areas, citizen).person("Nguyễn Minh An", account=citizen, source="app")
    declare(child, citizen, {**ANSWERS, "cough": True})

    owner, staff = account_for_phone("0912400002"), account_for_phone("0912400003")
    venue = make_venue(owner, "Quán Phở Hòa")
    VenueStaff.objects.create(venue=venue, phone=staff.phone, added_by=owner)

    health = grant_role("0912400004", Role.HEALTH_OFFICER, areas["75"]).user
    world = World(areas, owner)
    f0 = world.person("Phạm Văn Không", phone="+84912400009")
    world.visit(f0, venue, at(10, 9), at(10, 10))
    world.visit(me, venue, at(10, 9, 30), at(10, 10, 30))
    case = register_case(health, scope_of(health), person=f0,
                         confirmed_at=timezone.now() - timedelta(days=1))
    officer = grant_role("0912400005", Role.OFFICER, areas["75"]).user
    draw(scope_of(officer), "lockdown", area_code="25993", starts_on=timezone.localdate(),
         ends_on=timezone.localdate() + timedelta(days=14), reason="Ổ dịch")
    return {
        "citizen": citizen, "owner": owner, "staff": staff, "health": health,
        "officer": officer,
        "admin": grant_role("0912400006", Role.ADMIN, None).user,
        "me": me, "venue": venue, "case": case,
    }


def journey_pages(t: dict) -> list[tuple[str | None, str, str]]:
    """(who, path, selector that shows the page is ready)."""
    me, venue = t["me"], t["venue"]
    return [
        (None, "/", "main"), (None, "/accounts/login/", "input[name=phone]"),
        (None, "/progress/", "main"),
        ("citizen", "/", "#citizen-home"), ("citizen", f"/declare/{me.pk}/", "form"),
        ("citizen", "/people/add/", "form"), ("citizen", f"/people/{me.pk}/qr/", ".qr-code svg"),
        ("citizen", f"/v/{venue.code}", "#venue-name"), ("citizen", "/scan/history/", "main"),
        ("citizen", "/privacy/", "main"),
        ("owner", "/venues/new/", "#venue-form"), ("owner", f"/venues/{venue.pk}/", "#venue-code"),
        ("owner", f"/scan/{venue.pk}/live/", "#live"),
        ("staff", f"/scan/{venue.pk}/", "#scan-input"),
        ("officer", "/reports/", "#totals"), ("officer", "/venues/directory/", "main"),
        ("health", "/tracing/", "#notice-switch"), ("health", "/tracing/new/", "form"),
        ("health", f"/tracing/{t['case'].pk}/", "#places"),
        ("health", "/alerts/", "main"),
        ("officer", "/zones/", ".zones-map"), ("officer", "/zones/new/", "form"),
        ("admin", "/privacy/audit/", "main"),
        ("admin", "/accounts/officers/", "#officer-rows"),
        ("admin", "/accounts/officers/new/", "form"),
        ("admin", "/accounts/officers/import/", "form"),
        ("admin", f"/accounts/officers/{t['officer'].pk}/", "[data-grant]"),
        ("admin", f"/accounts/officers/{t['officer'].pk}/disable/", "#confirm"),
    ]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_journey_page_passes_the_audit(browser, live_server, sign_in, town, lang):
    failures: dict[str, list[str]] = {}
    contexts: dict[str | None, tuple] = {}
    try:
        for who, path, ready in journey_pages(town):
            if who not in contexts:
                context = browser.new_context(base_url=live_server.url, viewport=PHONE,
                                              bypass_csp=True, service_workers="block")
                sign_in(context, town[who] if who else None, lang)
                page = context.new_page()
                page.set_default_timeout(10_000)
                contexts[who] = (context, page, Auditor(context, live_server.url))
            _context, page, auditor = contexts[who]
            visit = auditor.open(page, path, ready)
            assert page.evaluate("document.documentElement.lang") == lang, path
            if found := problems(page, visit, lang):
                failures[f"{who or 'visitor'} {path}"] = found
    finally:
        for context, _page, _auditor in contexts.values():
            context.close()
    assert not failures, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in failures.items())
