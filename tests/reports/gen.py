"""Generated raw rows (venues, people, scans, declarations) written straight through the ORM,
with many times close to local midnight, and the ground truth computed from them in Python,
independently of the rollups."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiemdich.accounts.models import User
from kiemdich.declarations.models import Declaration
from kiemdich.people.models import Person
from kiemdich.scans.models import Scan
from kiemdich.venues.models import Venue
from kiemdich.venues.types import VENUE_TYPES

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TYPES = ["market", "restaurant", "school", "factory", "agency", "hospital", "bus"]


def local_day(moment: datetime) -> date:
    return moment.astimezone(HCM).date()


def _moment(rng: random.Random, days: list[date]) -> datetime:
    """A time on one of `days`; often within half an hour of a local midnight."""
    day = rng.choice(days)
    midnight = datetime.combine(day, time.min, tzinfo=HCM)
    if rng.random() < 0.5:
        return midnight + timedelta(seconds=rng.randint(-1800, 1800))
    return midnight + timedelta(seconds=rng.randint(0, 86399))


@dataclass
class Generated:
    venues: list[Venue] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    scans: list[Scan] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)


def generate(communes, days: list[date], *, venues_per_commune: int = 6,
             people_per_commune: int = 8, scans: int = 400, declarations: int = 150,
             seed: int = 1, owner_phone: str = "+84900100000") -> Generated:
    rng = random.Random(seed)
    out = Generated()
    owner = User.objects.create_user(owner_phone)
    all_days = [days[0] - timedelta(days=5), *days]
    venue_rows = []
    for commune in communes:
        for i in range(venues_per_commune):
            kind = VENUE_TYPES[rng.choice(TYPES)]
            venue_rows.append(Venue(
                code=f"G{seed}-{commune.code}-{i}", name=f"Nơi {i}", venue_type=kind.key,
                sector=kind.sector, area=commune, street="1 Đường A",
                place_key=f"{seed}-{commune.code}-{i}", owner=owner,
                default_stay_minutes=kind.default_stay_minutes,
                status=Venue.Status.CLOSED if rng.random() < 0.1 else Venue.Status.ACTIVE))
    out.venues = Venue.objects.bulk_create(venue_rows)
    for venue in out.venues:
        venue.created_at = _moment(rng, all_days)
        Venue.objects.filter(pk=venue.pk).update(created_at=venue.created_at)

    accounts = User.objects.bulk_create(
        [User(phone=f"+8491{seed:02d}{i:05d}") for i in range(len(communes) * people_per_commune)])
    person_rows = []
    for i, account in enumerate(accounts):
        commune = communes[i % len(communes)]
        person_rows.append(Person(account=account, is_self=True, full_name=f"Người {i}",
                                  area=commune, source=Person.Source.ACCOUNT))
        if rng.random() < 0.3:
            person_rows.append(Person(account=account, is_self=False, full_name=f"Con {i}",
                                      area=commune, source=Person.Source.ACCOUNT))
        if rng.random() < 0.2:
            person_rows.append(Person(full_name=f"Khách {i}", area=commune,
                                      source=Person.Source.SCANNED))
    out.people = Person.objects.bulk_create(person_rows)
    for person in out.people:
        person.created_at = _moment(rng, all_days)
        Person.objects.filter(pk=person.pk).update(created_at=person.created_at)

    scan_rows = []
    for _ in range(scans):
        at = _moment(rng, days)
        scan_rows.append(Scan(venue=rng.choice(out.venues), person=rng.choice(out.people),
                              direction=rng.choice(["in", "out"]), method="staff",
                              accepted=rng.random() > 0.15, scanned_at=at, received_at=at))
    out.scans = Scan.objects.bulk_create(scan_rows)

    decl_rows = []
    for _ in range(declarations):
        at = _moment(rng, days)
        person = rng.choice(out.people)
        area = person.area if rng.random() < 0.8 else rng.choice(communes)
        decl_rows.append(Declaration(person=person, created_at=at, local_date=local_day(at),
                                     area=area, has_symptoms=rng.random() < 0.2))
    out.declarations = Declaration.objects.bulk_create(decl_rows)
    return out


def truth(data: Generated, area_ids: set[int], date_from: date, date_to: date,
          sectors: set[str] | None = None) -> dict[str, int]:
    """Every figure, straight from the raw rows."""
    venues = {v.pk: v for v in data.venues if v.area_id in area_ids
              and (sectors is None or v.sector in sectors)}

    def in_range(moment: datetime) -> bool:
        return date_from <= local_day(moment) <= date_to

    accepted = [s for s in data.scans if s.accepted and s.venue_id in venues
                and in_range(s.scanned_at)]
    decls = [d for d in data.declarations if d.area_id in area_ids
             and date_from <= d.local_date <= date_to]
    return {
        "venues_registered": sum(1 for v in venues.values() if v.status == "active"
                                 and local_day(v.created_at) <= date_to),
        "venues_active": len({s.venue_id for s in accepted}),
        "scans_in": sum(1 for s in accepted if s.direction == "in"),
        "scans_out": sum(1 for s in accepted if s.direction == "out"),
        "declarations": len(decls),
        "declarants": len({d.person_id for d in decls}),
        "symptomatic": sum(1 for d in decls if d.has_symptoms),
        "citizens_registered": sum(1 for p in data.people if p.is_self and p.area_id in area_ids
                                   and local_day(p.created_at) <= date_to),
    }


def seed_compliance(areas: dict, day: date) -> None:
    """Generated activity around `day`, and in Biên Hòa (731) what coverage and compliance
    count: 200 residents, two schools of which one registered a venue, a roster of two of
    whom nobody declared, one inspection that found a violation on the day."""
    from kiemdich.areas.models import Area
    from kiemdich.reports import rollups
    from kiemdich.reports.models import (
        Establishment,
        Inspection,
        Organisation,
        Population,
        RosterMember,
        ViolationCategory,
    )

    generate(list(Area.objects.leaves().order_by("code")), [day - timedelta(days=1), day],
             seed=3)
    rollups.refresh(since=day - timedelta(days=2), until=day)
    Population.objects.create(area=areas["25993"], residents=200)
    venue = Venue.objects.filter(area=areas["25993"]).first()
    Venue.objects.filter(pk=venue.pk).update(business_reg_no="GD-001", status="active")
    Establishment.objects.create(reg_no="GD-001", name="Trường A", area=areas["25993"],
                                 sector="education")
    Establishment.objects.create(reg_no="GD-002", name="Trường B", area=areas["25996"],
                                 sector="education")
    organisation = Organisation.objects.create(name="Sở Giáo dục", area=areas["25993"],
                                               sector="education")
    for n in range(2):
        RosterMember.objects.create(organisation=organisation, full_name=f"Cán bộ {n}",
                                    phone=f"+8490999000{n}")
    # The catalogue comes with a migration; tests that flush the database lose it.
    article, _created = ViolationCategory.objects.get_or_create(
        code="nd117-d12-k2", defaults={"legal_reference": "Điều 12 khoản 2",
                                       "title": "Không thực hiện biện pháp chống dịch",
                                       "fine_min": 5_000_000, "fine_max": 10_000_000})
    Inspection.objects.create(
        venue=venue, area=venue.area, sector=venue.sector, result="violation",
        violation=article, fine=5_000_000,
        inspected_at=datetime.combine(day, time(9), tzinfo=HCM))
