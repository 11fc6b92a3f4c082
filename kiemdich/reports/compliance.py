"""Who is not complying: registry establishments without a venue, venues nobody scanned at
for N days, roster members who have not declared today — listed, and counted per child area
beside the coverage (the daily report's and the coverage page's table)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery, Sum
from django.utils.translation import gettext

from kiemdich.areas.models import Area
from kiemdich.core import clock
from kiemdich.core.errors import Invalid
from kiemdich.reports.coverage import (
    RESIDENTS_TARGET,
    ROSTER_TARGET,
    VENUES_TARGET,
    Coverage,
    declared_on,
    establishments,
    registered_venue_exists,
    roster_members,
)
from kiemdich.reports.models import (
    CitizenRegistration,
    Establishment,
    Inspection,
    Population,
    RosterMember,
    VenueDay,
)
from kiemdich.reports.stats import children_of_communes
from kiemdich.venues.models import Venue
from kiemdich.zones.services import residents_declared

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

MAX_SILENT_DAYS = 92
# The per-area table counts venues silent for a week, the compliance list's default.
SILENT_DAYS = 7


def parse_days(value: object, default: int = 7) -> int:
    if value in (None, ""):
        return default
    try:
        days = int(str(value))
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_SILENT_DAYS:
        raise Invalid(code="days_invalid", field="days", params={"n": MAX_SILENT_DAYS})
    return days


def unregistered(area: Area, sectors: frozenset[str] | None) -> QuerySet[Establishment]:
    return (establishments(area, sectors).exclude(registered_venue_exists(area))
            .select_related("area").order_by("area__code", "name"))


def _silent(area: Area, sectors: frozenset[str] | None, days: int, today: date
            ) -> QuerySet[Venue]:
    since = today - timedelta(days=days - 1)
    qs = Venue.objects.filter(area__path__startswith=area.path, status=Venue.Status.ACTIVE,
                              created_at__date__lt=since)
    if sectors:
        qs = qs.filter(sector__in=sectors)
    active = VenueDay.objects.filter(day__gte=since, day__lte=today).values("venue_id")
    return qs.exclude(pk__in=active)


class LastActive(TypedDict):
    last_active: date | None  # the last day with an accepted scan, None for never


def silent_venues(area: Area, sectors: frozenset[str] | None, days: int, today: date
                  ) -> QuerySet[WithAnnotations[Venue, LastActive]]:
    """Active venues registered before the window with no accepted scan in the last `days`
    days (read from the per-venue daily rollup, not from the scans)."""
    last = (VenueDay.objects.filter(venue_id=OuterRef("pk")).values("venue_id")
            .annotate(last=Max("day")).values("last"))
    return (_silent(area, sectors, days, today).annotate(last_active=Subquery(last))
            .select_related("area").order_by("area__code", "name"))


def undeclared(area: Area, sectors: frozenset[str] | None, today: date,
               organisation_id: int | None = None) -> QuerySet[RosterMember]:
    qs = roster_members(area, sectors).exclude(declared_on(today))
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.select_related("organisation").order_by("organisation__name", "full_name")


@dataclass(frozen=True)
class AreaCompliance:
    """One child area's coverage against the plan's targets and its non-compliance counts."""

    area: Area
    residents: Coverage
    venues: Coverage
    roster: Coverage
    unregistered: int  # registry establishments without an active venue
    undeclared: int  # roster members who have not declared on the day
    silent: int  # active venues without a scan for SILENT_DAYS days
    violations: int  # inspections on the day that found a violation

    @property
    def name(self) -> str:
        return self.area.name

    @property
    def coverages(self) -> tuple[Coverage, Coverage, Coverage]:
        return self.residents, self.venues, self.roster


def by_area(area: Area, sectors: frozenset[str] | None, day: date) -> list[AreaCompliance]:
    """The table per child area of `area` for `day`: eight grouped queries whatever the
    number of areas, each counted per commune and added up into its child area."""
    children, owner = children_of_communes(area)
    if not children:
        return []

    def per_child(rows: Iterable[tuple[int, int | None]]) -> Counter:
        counts: Counter = Counter()
        for commune, n in rows:
            if commune in owner:
                counts[owner[commune]] += n or 0
        return counts

    def counted(qs: QuerySet, field: str = "area_id") -> Counter:
        return per_child(qs.order_by().values(field).annotate(n=Count("pk"))
                         .values_list(field, "n"))

    in_area = {"area__path__startswith": area.path}
    citizens = per_child(CitizenRegistration.objects.filter(**in_area, day__lte=day)
                         .values("area_id").annotate(n=Sum("citizens")).values_list("area_id", "n"))
    residents = per_child(Population.objects.filter(**in_area).values_list("area_id", "residents"))
    registry = establishments(area, sectors)
    registry_all = counted(registry)
    registered = counted(registry.filter(registered_venue_exists(area)))
    roster = roster_members(area, sectors)
    roster_all = counted(roster, "organisation__area_id")
    declared = counted(roster.filter(declared_on(day)), "organisation__area_id")
    if not sectors:
        # Residents of quarantine and lockdown zones must declare too (coverage.coverage).
        zoned, zoned_declared = residents_declared(area, day)
        roster_all += counted(zoned)
        declared += counted(zoned_declared)
    silent = counted(_silent(area, sectors, SILENT_DAYS, day))
    start, end = clock.day_bounds(day)
    inspections = Inspection.objects.filter(**in_area, result=Inspection.Result.VIOLATION,
                                            inspected_at__gte=start, inspected_at__lt=end)
    if sectors:
        inspections = inspections.filter(sector__in=sectors)
    violations = counted(inspections)
    return [AreaCompliance(
        area=child,
        residents=Coverage(gettext("Người dân dùng ứng dụng"), citizens[child.pk],
                           residents[child.pk], RESIDENTS_TARGET),
        venues=Coverage(gettext("Cơ sở đã đăng ký địa điểm"), registered[child.pk],
                        registry_all[child.pk], VENUES_TARGET),
        roster=Coverage(gettext("Người phải khai báo đã khai báo hôm nay"), declared[child.pk],
                        roster_all[child.pk], ROSTER_TARGET),
        unregistered=registry_all[child.pk] - registered[child.pk],
        undeclared=roster_all[child.pk] - declared[child.pk],
        silent=silent[child.pk], violations=violations[child.pk],
    ) for child in children]
