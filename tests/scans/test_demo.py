"""The demo scans: made once, visits derived by the ingest's own rules."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from kiemdich.accounts.services import account_for_phone
from kiemdich.people.models import Person
from kiemdich.scans import demo
from kiemdich.scans.models import Scan, Visit
from kiemdich.scans.services import rederive_day
from kiemdich.venues.models import Venue
from tests.scans.conftest import make_venue

pytestmark = pytest.mark.django_db


def test_demo_scans_are_made_once_and_their_visits_follow_the_rules(areas):
    owner = account_for_phone("0900000010")
    venues = [make_venue(owner, f"Chợ {n}", street=f"{n} Lê Lợi") for n in range(3)]
    # Registered before the two weeks of demo scans (none is made before its place).
    Venue.objects.update(created_at=timezone.now() - timedelta(days=30))
    for n in range(80):
        Person.objects.create(full_name=f"Người {n}", area=areas["25993"])
    demo.seed(io.StringIO())
    scans = Scan.objects.count()
    assert scans > 100
    assert Scan.objects.filter(accepted=False).exists()
    visits = Visit.objects.count()
    demo.seed(io.StringIO())
    assert (Scan.objects.count(), Visit.objects.count()) == (scans, visits)
    # Re-deriving a day from its scans gives the visits the demo wrote.
    sample = Visit.objects.order_by("pk").first()
    venue = next(v for v in venues if v.pk == sample.venue_id)
    before = sorted(Visit.objects.filter(venue=venue, person_id=sample.person_id,
                                         day=sample.day)
                    .values_list("entered_at", "left_at", "closes_at"), key=str)
    rederive_day(venue, sample.person_id, sample.day)
    after = sorted(Visit.objects.filter(venue=venue, person_id=sample.person_id,
                                        day=sample.day)
                   .values_list("entered_at", "left_at", "closes_at"), key=str)
    assert before == after
