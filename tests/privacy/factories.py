"""Rows made straight in the database, for the privacy tests that need history in the past
(scans and visits weeks old) which no endpoint may create."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from kiemdich.people.models import Person
from kiemdich.scans.models import Scan, Visit
from kiemdich.venues.codes import new_code
from kiemdich.venues.models import Venue


def venue(owner, area, name: str = "Chợ Bến Thành", **extra) -> Venue:
    return Venue.objects.create(
        code=new_code(), name=name, venue_type="market", sector="trade",
        area=area, street="1 Lê Lợi", default_stay_minutes=60, owner=owner,
        place_key=f"{name}|{secrets.token_hex(4)}", **extra)


def person(account=None, name: str = "Nguyễn Văn An", **extra) -> Person:
    return Person.objects.create(account=account, full_name=name, **extra)


def self_person(user) -> Person:
    return Person.objects.get_or_create(account=user, is_self=True,
                                        defaults={"full_name": "Chủ tài khoản"})[0]


def visit(place: Venue, who: Person, entered: datetime, minutes: int = 60) -> Visit:
    left = entered + timedelta(minutes=minutes)
    Scan.objects.create(venue=place, person=who, direction="in", method="staff",
                        scanned_at=entered, received_at=entered)
    Scan.objects.create(venue=place, person=who, direction="out", method="staff",
                        scanned_at=left, received_at=left)
    extra = {"day": timezone.localdate(entered)} if _has_field(Visit, "day") else {}
    return Visit.objects.create(venue=place, person=who, entered_at=entered, left_at=left,
                                closes_at=left, **extra)


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.fields)


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)
