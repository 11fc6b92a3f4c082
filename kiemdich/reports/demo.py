"""Demo data for the authorities' pages: population per commune, an establishments registry,
one roster, a few inspections; then the rollups. Idempotent."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TextIO

from django.db.models import Count
from django.utils import timezone

from kiemdich.accounts.demo import DEMO_CITIZEN_PHONE, demo_communes, demo_province
from kiemdich.accounts.models import User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.areas.models import Area
from kiemdich.core import clock
from kiemdich.people.models import Person
from kiemdich.reports import rollups
from kiemdich.reports.models import (
    Establishment,
    Inspection,
    Organisation,
    Population,
    RosterMember,
    ViolationCategory,
)
from kiemdich.venues.models import Venue

INSPECTOR_PHONE = "+84900000007"
MATCHED_ESTABLISHMENTS = 12
ROSTER_CITIZENS = 10
SECTORS = ["trade", "labour", "education", "government", "health"]


def _roster(commune: Area) -> list[tuple[str, str]]:
    """(name, phone) of a commune office's staff: demo citizens of the commune, each with
    their own name and phone (so who has declared today shows), and two who have no account."""
    citizens = (Person.objects.filter(area=commune, is_self=True, account__isnull=False)
                .exclude(full_name="").exclude(account__phone=normalize_phone(DEMO_CITIZEN_PHONE))
                .order_by("pk").values_list("full_name", "account__phone")[:ROSTER_CITIZENS])
    return [*citizens, ("Trần Thị Bình", "+84900000031"), ("Lê Văn Cường", "+84900000032")]


def seed(out: TextIO) -> None:
    communes = demo_communes()
    # Residents as many as the demo's accounts make the app's share read 45–85 % by commune:
    # the coverage page shows communes short of the 50–80 % target, within it and past it.
    people = dict(Person.objects.filter(area__in=communes, is_self=True)
                  .values_list("area_id").annotate(n=Count("id")).values_list("area_id", "n"))
    for index, commune in enumerate(communes):
        share = 0.45 + 0.1 * (index % 5)
        residents = max(10, math.ceil(people.get(commune.pk, 0) / share))
        Population.objects.update_or_create(area=commune, defaults={"residents": residents})
    venues = list(Venue.objects.filter(area__in=communes).order_by("pk")[:20])
    businesses = list(Venue.objects.filter(area__in=communes).exclude(business_reg_no="")
                      .order_by("pk")[:MATCHED_ESTABLISHMENTS])
    for index, commune in enumerate(communes[:10]):
        for n in range(3):
            Establishment.objects.update_or_create(
                reg_no=f"3600{commune.code}{n}", defaults={
                    "name": f"Cơ sở {n + 1} — {commune.name}", "area": commune,
                    "sector": SECTORS[(index + n) % len(SECTORS)]})
    # The registry also lists places that registered (coverage counts them as done).
    for venue in businesses:
        Establishment.objects.update_or_create(
            reg_no=venue.business_reg_no, defaults={"name": venue.name, "area": venue.area,
                                                    "sector": venue.sector})
    if communes:
        organisation, _created = Organisation.objects.get_or_create(
            name="UBND " + communes[0].name, area=communes[0],
            defaults={"sector": "government"})
        members = _roster(communes[0])
        for name, phone in members:
            RosterMember.objects.update_or_create(
                organisation=organisation, phone=phone,
                defaults={"full_name": name, "id_number_digest": ""})
        # An earlier demo's members who are not among them (an old roster) leave it.
        organisation.members.exclude(phone__in=[phone for _name, phone in members]).delete()
        out.write(f"  roster of {organisation.name}: {len(members)} people")
    inspector = User.objects.filter(phone=INSPECTOR_PHONE).first()
    violation = ViolationCategory.objects.filter(code="nd117-d12-k2").first()
    now = timezone.now()
    for index, venue in enumerate(venues[:3]):
        if Inspection.objects.filter(venue=venue).exists():
            continue
        failed = index == 2
        Inspection.objects.create(
            venue=venue, area=venue.area, sector=venue.sector, inspector=inspector,
            inspected_at=now - timedelta(days=index), poster_displayed=True,
            scanning_enforced=not failed, staff_declared=True,
            result=Inspection.Result.VIOLATION if failed else Inspection.Result.COMPLIANT,
            violation=violation if failed else None, fine=5_000_000 if failed else None,
            notes="Không kiểm soát quét mã tại cổng." if failed else "")
    days = rollups.refresh(since=clock.today() - timedelta(days=30))
    out.write(f"Reports: population of {len(communes)} communes of {demo_province().name}, "
              f"registry, roster, inspections; rollups for {days} days.")
