"""Scenario building for tracing tests: venues, people and visits made directly, as the scan
ingest would leave them."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.core.protect import encrypt_id, id_digest
from kiemdich.people.models import Person
from kiemdich.scans.models import Visit
from kiemdich.venues.models import Venue

VN = ZoneInfo("Asia/Ho_Chi_Minh")
_counter = itertools.count(1)


def at(day: int, hour: int, minute: int = 0, month: int = 8) -> datetime:
    """A moment of August 2021, Vietnamese time."""
    return datetime(2021, month, day, hour, minute, tzinfo=VN)


class World:
    def __init__(self, areas, owner) -> None:
        self.areas = areas
        self.owner = owner

    def venue(self, name: str, commune: str = "25993", stay: int = 30,
              lat: float | None = None, lng: float | None = None) -> Venue:
        n = next(_counter)
        return Venue.objects.create(
            code=f"T{n:08d}", name=name, venue_type="restaurant", sector="trade",
            area=self.areas[commune], street=f"{n} Đường Số {n}", place_key=f"tracing-{n}",
            default_stay_minutes=stay, owner=self.owner, latitude=lat, longitude=lng)

    def person(self, name: str = "", *, account=None, source: str = "manual",
               phone: str = "", id_number: str = "", commune: str | None = "25993") -> Person:
        return Person.objects.create(
            account=account, source=source, full_name=name or f"Người {next(_counter)}",
            phone=phone, id_number_digest=id_digest(id_number) if id_number else "",
            id_number_cipher=encrypt_id(id_number) if id_number else "",
            area=self.areas[commune] if commune else None)

    def visit(self, person: Person, venue: Venue, entered: datetime | None = None,
              left: datetime | None = None, closes: datetime | None = None,
              entry_method: str = "self", exit_method: str = "self") -> Visit:
        if closes is None:
            closes = left or entered + timedelta(minutes=venue.default_stay_minutes)
        return Visit.objects.create(
            person=person, venue=venue, entered_at=entered, left_at=left, closes_at=closes,
            entry_method=entry_method if entered else "", exit_method=exit_method if left else "",
            day=timezone.localtime(entered or left).date())

    def overnight(self, person: Person, venue: Venue, entered: datetime, left: datetime) -> None:
        """What the ingest leaves for a stay across midnight: an open visit closed at
        midnight, and an exit-only visit the next day."""
        midnight = timezone.localtime(entered).replace(hour=0, minute=0) + timedelta(days=1)
        self.visit(person, venue, entered, None, closes=midnight)
        self.visit(person, venue, None, left)


@pytest.fixture
def world(areas, make_client):
    return World(areas, make_client("0912300001").user)


@pytest.fixture
def mai(make_officer, areas):
    """A health officer of the province."""
    return make_officer("0912000050", Role.HEALTH_OFFICER, areas["75"])


@pytest.fixture
def thu(make_officer, areas):
    """Another health officer of the same province."""
    return make_officer("0912000051", Role.HEALTH_OFFICER, areas["75"])


@pytest.fixture
def khoa(make_officer, areas):
    """A health officer of another province."""
    return make_officer("0912000052", Role.HEALTH_OFFICER, areas["74"])


def self_person(client) -> Person:
    return Person.objects.get(account=client.user, is_self=True)
