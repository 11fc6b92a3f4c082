"""Scan fixtures: Minh's restaurant with Hoa as staff, Binh's shop, a hospital with full-data
visibility, Lan with a personal code, and a dedicated reader."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kiemdich.accounts.models import User
from kiemdich.people.codes import issue_app_code, issue_card_code
from kiemdich.people.models import Credential, Person
from kiemdich.scans.access import forget
from kiemdich.venues.devices import create_device
from kiemdich.venues.models import Venue, VenueStaff
from kiemdich.venues.services import register_venue


@pytest.fixture(autouse=True)
def _fresh_venue_cache():
    """Ids are reused between tests on SQLite: no venue may outlive its test in the cache."""
    forget()
    yield
    forget()


def make_venue(owner: User, name: str, venue_type: str = "restaurant", stay: int = 60,
               street: str = "1 Lê Lợi", special: bool = False) -> Venue:
    venue = register_venue(owner, {"name": name, "venue_type": venue_type,
                                   "area_code": "25993", "street": street,
                                   "default_stay_minutes": stay})
    if special:
        Venue.objects.filter(pk=venue.pk).update(is_special=True)
        venue.refresh_from_db()
    return venue


@pytest.fixture
def venue(areas, minh, hoa) -> Venue:
    venue = make_venue(minh.user, "Quán Phở Hòa")
    VenueStaff.objects.create(venue=venue, phone=hoa.user.phone, added_by=minh.user)
    return venue


@pytest.fixture
def other_venue(areas, binh) -> Venue:
    return make_venue(binh.user, "Tạp hóa Bình", venue_type="shop", street="9 Hùng Vương")


@pytest.fixture
def hospital(areas, minh) -> Venue:
    return make_venue(minh.user, "Bệnh viện Đa khoa", venue_type="hospital",
                      street="5 Trần Phú", special=True)


@pytest.fixture
def lan_person(lan) -> Person:
    person = Person.objects.get(account=lan.user, is_self=True)
    person.full_name = "Nguyễn Thị Lan"
    person.save(update_fields=["full_name"])
    return person


@pytest.fixture
def lan_code(lan_person) -> str:
    return issue_app_code(lan_person.public_id, timezone.now())[0]


@pytest.fixture
def card_of():
    def make(person: Person, revoked: bool = False) -> str:
        serial = Credential.objects.count() + 1000
        payload, expires = issue_card_code(person.public_id, serial, timezone.now())
        Credential.objects.create(person=person, serial=serial, expires_at=expires,
                                  revoked_at=timezone.now() if revoked else None)
        return payload
    return make


@pytest.fixture
def reader(venue) -> str:
    """The token of a dedicated reader at Minh's venue."""
    return create_device(venue, "Cổng chính")[1]


def scans_url(venue: Venue, suffix: str = "") -> str:
    return f"/api/v1/venues/{venue.pk}/scans{suffix}"


def at(minutes_ago: float) -> str:
    return (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()


CCCD = "001090123456|012345678|Trần Văn Bình|01011990|Nam|Phường 1, Tỉnh Đồng Nai|15042021"
NATIONAL_QR = "001090123457|NGUYEN VAN AN|1985-03-02|0|QID123|1<0912345678"
