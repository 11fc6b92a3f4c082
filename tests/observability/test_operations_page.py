"""The operations page: an admin reads the server's core figures without Prometheus; nobody
else reads them."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kiemdich.venues.models import VenueStaff
from tests.scans.conftest import make_venue


def page_figures(client: Client) -> tuple[dict[str, str], dict[str, str]]:
    response = client.get("/operations/")
    assert response.status_code == 200
    html = response.content.decode()
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)', html))
    refusals = dict((code, n) for code, n in
                    re.findall(r"<tr><td><code>(\w+)</code></td><td>([\d.]+)</td></tr>", html))
    return figures, refusals


def number(text: str) -> int:
    """A figure as the page writes it, in Vietnamese format (1.234)."""
    return int(text.replace(".", "").strip())


@pytest.fixture
def admin_page(admin_client) -> Client:
    page = Client()
    page.force_login(admin_client.user)
    return page


def test_an_admin_sees_a_refused_scan_counted_with_its_reason(areas, minh, hoa, admin_page,
                                                              django_capture_on_commit_callbacks):
    venue = make_venue(minh.user, "Quán Phở Hòa")
    VenueStaff.objects.create(venue=venue, phone=hoa.user.phone, added_by=minh.user)
    before, refusals_before = page_figures(admin_page)
    # A scan is counted once committed (the test's transaction is never committed).
    with django_capture_on_commit_callbacks(execute=True):
        answer = hoa.post(f"/api/v1/venues/{venue.pk}/scans",
                          {"code": "not a code at all", "direction": "in"})
    assert answer.status_code == 422
    reason = answer.json()["error"]["code"]
    after, refusals = page_figures(admin_page)
    assert number(after["scans_refused"]) == number(before["scans_refused"]) + 1
    assert number(after["scans_accepted"]) == number(before["scans_accepted"])
    assert number(refusals[reason]) == number(refusals_before.get(reason, "0")) + 1
    # The page's own requests and the scan: three more answers than the first page saw.
    assert number(after["requests"]) >= number(before["requests"]) + 2


@pytest.mark.parametrize("role", ["officer", "health_officer", "auditor"])
def test_no_one_but_an_admin_reads_the_figures(make_officer, areas, role):
    officer = make_officer("0912000077", role, areas["75"])
    page = Client()
    page.force_login(officer.user)
    assert page.get("/operations/").status_code == 403


def test_the_page_asks_a_visitor_to_log_in(db):
    response = Client().get("/operations/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_retention_purge_counts_what_it_removed_in_the_metrics(db):
    """The purge runs in a job worker; the worker's /metrics says how many rows went."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from prometheus_client.parser import text_string_to_metric_families

    from kiemdich.privacy.retention import purge_expired

    def purged_sessions() -> float:
        text = Client().get("/metrics").content.decode()
        return sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples
                   if sample.name == "kiemdich_retention_purged_rows_total"
                   and sample.labels["kind"] == "sessions")

    before = purged_sessions()
    expired = timezone.now() - timedelta(days=1)
    for n in range(3):
        Session.objects.create(session_key=f"expired-session-{n:020d}", session_data="",
                               expire_date=expired)
    Session.objects.create(session_key="live-session-0000000000000000", session_data="",
                           expire_date=timezone.now() + timedelta(days=1))
    purge_expired()
    assert purged_sessions() == before + 3
