"""seed_demo's venues: a few hundred across the demo province, every sector, idempotent."""

from __future__ import annotations

import io

import pytest

from kiemdich.accounts import demo as accounts_demo
from kiemdich.accounts.phones import normalize_phone
from kiemdich.privacy.models import AuditEntry
from kiemdich.venues import demo
from kiemdich.venues.models import Venue, VenueStaff

pytestmark = pytest.mark.django_db


def test_the_demo_adds_a_few_hundred_venues_once(areas):
    out = io.StringIO()
    accounts_demo.seed(out)
    demo.seed(out)
    count = Venue.objects.count()
    assert count == demo.VENUE_COUNT + 1
    assert set(Venue.objects.values_list("sector", flat=True)) == {
        "health", "transport", "trade", "education", "labour", "government", "quarantine",
        "other"}
    province_communes = {a.pk for a in accounts_demo.demo_communes()}
    assert set(Venue.objects.values_list("area_id", flat=True)) == province_communes
    owner = Venue.objects.filter(owner__phone=normalize_phone(accounts_demo.DEMO_OWNER_PHONE))
    assert owner.count() >= 5
    staff = VenueStaff.objects.get(phone=normalize_phone(accounts_demo.DEMO_STAFF_PHONE))
    assert staff.venue.owner.phone == normalize_phone(accounts_demo.DEMO_OWNER_PHONE)
    special = Venue.objects.get(is_special=True)
    assert special.venue_type == "hospital" and special.special_reason
    assert AuditEntry.objects.filter(action="venue_special_granted").count() == 1

    demo.seed(out)
    assert Venue.objects.count() == count
    assert VenueStaff.objects.count() == 1
    assert "0900000010" in out.getvalue()
