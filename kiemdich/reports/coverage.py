"""Coverage against the plan's targets: the population per commune, the registry of
establishments and the rosters of people who must declare (imported by
kiemdich.reports.imports) against what the platform records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext

from kiemdich.areas.models import Area
from kiemdich.declarations.models import Declaration
from kiemdich.reports.models import (
    CitizenRegistration,
    Establishment,
    Population,
    RosterMember,
)
from kiemdich.venues.models import Venue
from kiemdich.zones.services import residents_declared

# Targets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    low: int  # % that meets the target
    high: int  # % the plan aims for at best (equal to low for "everyone")


RESIDENTS_TARGET = Target(50, 80)
VENUES_TARGET = Target(100, 100)
ROSTER_TARGET = Target(100, 100)


@dataclass(frozen=True)
class Coverage:
    label: str
    done: int
    total: int
    target: Target

    @property
    def percent(self) -> float | None:
        return round(100 * self.done / self.total, 1) if self.total else None

    @property
    def level(self) -> str:
        """ok when the target is met, warn from 70 % of it, bad below (or no data)."""
        if self.percent is None:
            return "none"
        if self.percent >= self.target.low:
            return "ok"
        return "warn" if self.percent >= 0.7 * self.target.low else "bad"


def population_of(area: Area) -> int:
    return Population.objects.filter(area__path__startswith=area.path).aggregate(
        n=Sum("residents"))["n"] or 0


def registered_venue_exists(area: Area) -> Exists:
    """A venue with the establishment's registration number in the area being viewed."""
    return Exists(Venue.objects.filter(business_reg_no=OuterRef("reg_no"),
                                       area__path__startswith=area.path,
                                       status=Venue.Status.ACTIVE))


def declared_on(day: date) -> Q:
    """A Q on RosterMember: someone matching the member by phone or ID digest declared."""
    on_day = Declaration.objects.filter(local_date=day)
    by_phone = on_day.filter(Q(person__phone=OuterRef("phone"))
                             | Q(person__is_self=True, person__account__phone=OuterRef("phone")))
    by_id = on_day.filter(person__id_number_digest=OuterRef("id_number_digest"))
    return (Q(Exists(by_phone)) & ~Q(phone="")) | (Q(Exists(by_id)) & ~Q(id_number_digest=""))


def establishments(area: Area, sectors: frozenset[str] | None) -> QuerySet[Establishment]:
    qs = Establishment.objects.filter(area__path__startswith=area.path)
    return qs.filter(sector__in=sectors) if sectors else qs


def roster_members(area: Area, sectors: frozenset[str] | None) -> QuerySet[RosterMember]:
    qs = RosterMember.objects.filter(organisation__area__path__startswith=area.path)
    return qs.filter(organisation__sector__in=sectors) if sectors else qs


def coverage(area: Area, sectors: frozenset[str] | None, today: date) -> list[Coverage]:
    citizens = CitizenRegistration.objects.filter(
        area__path__startswith=area.path, day__lte=today).aggregate(n=Sum("citizens"))["n"] or 0
    registry = establishments(area, sectors)
    roster = roster_members(area, sectors)
    must, declared = roster.count(), roster.filter(declared_on(today)).count()
    if not sectors:
        # People living in a quarantine or lockdown zone must declare too (plan II.2); they
        # belong to no sector.
        residents, declared_residents = residents_declared(area, today)
        must, declared = must + residents.count(), declared + declared_residents.count()
    return [
        Coverage(gettext("Người dân dùng ứng dụng"), citizens, population_of(area),
                 RESIDENTS_TARGET),
        Coverage(gettext("Cơ sở đã đăng ký địa điểm"),
                 registry.filter(registered_venue_exists(area)).count(), registry.count(),
                 VENUES_TARGET),
        Coverage(gettext("Người phải khai báo đã khai báo hôm nay"), declared, must,
                 ROSTER_TARGET),
    ]
