"""`make run`'s demo data shows every feature at once: places registered over past days (some
gone quiet, so the compliance list has rows), a registry that matches places, roster members
with their own names and phones, places with coordinates (the case map draws), a commune's
health officer with an alert to handle — again after a re-run once it is handled."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from kiemdich.accounts.models import Grant, Role
from kiemdich.accounts.services import account_for_phone
from kiemdich.people.models import Person
from kiemdich.reports.models import Establishment, RosterMember
from kiemdich.tracing.models import Case
from kiemdich.venues import demo as venues_demo
from kiemdich.venues.models import Venue
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

COMMUNE_HEALTH_OFFICER = "0900000009"


def _page(phone: str, path: str, **params) -> str:
    client = Client()
    client.force_login(account_for_phone(phone))
    response = client.get(path, params)
    assert response.status_code == 200, path
    return response.content.decode()


def test_the_demo_data_shows_every_feature_and_a_rerun_brings_an_alert(areas):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    # Places registered over the past weeks, some of which stopped scanning.
    days = {v.date() for v in Venue.objects.values_list("created_at", flat=True)}
    assert len(days) >= 20
    listing = _page("0900000002", "/reports/compliance/", area="75", kind="venues")
    quiet = venues_demo.quiet_venue_names()
    assert sum(name in listing for name in quiet) == len(quiet)
    # The registry names registered places too: coverage is neither 0 % nor 100 %.
    unregistered = _page("0900000002", "/reports/compliance/", area="75")
    registered = Venue.objects.exclude(business_reg_no="").values_list("business_reg_no",
                                                                         flat=True)
    matched = Establishment.objects.filter(reg_no__in=list(registered))
    assert matched.exists() and Establishment.objects.exclude(pk__in=matched).exists()
    assert not any(e.reg_no in unregistered for e in matched)
    # Communes below, within and above the target share of residents using the app.
    table = _page("0900000002", "/reports/coverage/", area="75")
    assert 'data-level="ok"' in table and 'data-level="warn"' in table

    # Every place on the map; the demo case's page draws its sites.
    assert not Venue.objects.filter(latitude__isnull=True).exists()
    case = Case.objects.get()
    assert "<circle" in _page("0900000005", f"/tracing/{case.pk}/")

    # Roster members are people with their own names and phones.
    members = list(RosterMember.objects.values_list("full_name", "phone"))
    assert len({phone for _name, phone in members}) == len(members) > 3
    for name, phone in members:
        person = Person.objects.filter(account__phone=phone, is_self=True).first()
        assert person is None or person.full_name == name
    phones = list(Person.objects.exclude(phone="").values_list("phone", flat=True))
    assert len(phones) == len(set(phones))

    # A commune's health officer, with an alert of the commune to handle.
    grant = Grant.objects.get(user__phone="+84" + COMMUNE_HEALTH_OFFICER[1:],
                              role=Role.HEALTH_OFFICER)
    assert grant.area.is_leaf
    officer = client_for(COMMUNE_HEALTH_OFFICER)
    open_alerts = officer.get("/api/v1/alerts").json()
    assert open_alerts
    while open_alerts:  # the officer handles every one of them, page after page
        for alert in open_alerts:
            done = officer.post(f"/api/v1/alerts/{alert['id']}/actions", {"status": "closed"})
            assert done.status_code == 201, done.content
        open_alerts = officer.get("/api/v1/alerts").json()

    counts = (Venue.objects.count(), Person.objects.count(), RosterMember.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Venue.objects.count(), Person.objects.count(), RosterMember.objects.count()) \
        == counts
    assert len(officer.get("/api/v1/alerts").json()) == 1
    assert "data-alert=" in _page(COMMUNE_HEALTH_OFFICER, "/alerts/")


class _VisibleText(HTMLParser):
    """The text a reader sees on a page (no scripts, styles or attribute values), and the
    page's links."""

    HIDDEN = {"script", "style", "template", "svg"}

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data) -> None:
        if not self._hidden:
            self.text.append(data)


ROLES = ["0900000001", "0900000002", "0900000003", "0900000004", "0900000005", "0900000007",
         "0900000008", "0900000009", "0900000010", "0900000011", "0900000020"]
NOT_PAGES = ("/api/", "/admin/", "/accounts/logout", "/i18n/", "/metrics")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _crawl(client: Client, limit: int = 60) -> dict[str, str]:
    """Visible text of the pages reachable from the home page, two links deep."""
    seen: dict[str, str] = {}
    frontier = ["/"]
    for _depth in range(3):
        following: list[str] = []
        for path in frontier:
            if path in seen or len(seen) >= limit:
                continue
            response = client.get(path)
            assert response.status_code < 500, path
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                seen[path] = ""
                continue
            parser = _VisibleText()
            parser.feed(response.content.decode())
            seen[path] = " ".join(parser.text)
            for href in parser.links:
                link = urlsplit(href)
                if link.netloc or not link.path.startswith("/") or "format=" in link.query \
                        or link.path.startswith(NOT_PAGES) \
                        or re.search(r"\.(pdf|png|csv|xlsx|json|js)$", link.path):
                    continue
                following.append(link.path + (f"?{link.query}" if link.query else ""))
        frontier = following
    return seen


def test_every_page_shows_dates_as_dd_mm_yyyy_for_every_role(areas):
    call_command("seed_demo", stdout=io.StringIO())
    found = {}
    for phone in ROLES:
        client = Client()
        client.force_login(account_for_phone(phone))
        pages = _crawl(client)
        assert len(pages) > 3, phone
        for path, text in pages.items():
            if ISO_DATE.search(text):
                found[(phone, path)] = ISO_DATE.findall(text)[:3]
    assert found == {}
