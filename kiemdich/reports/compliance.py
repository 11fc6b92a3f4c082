"""Who is not complying: registry establishments without a venue, venues nobody scanned at
for N days, roster members who have not declared today."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from kiemdich.areas.models import Area
from kiemdich.errors import Invalid
from kiemdich.reports.coverage import (
    declared_on,
    establishments,
    registered_venue_exists,
    roster_members,
)
from kiemdich.reports.models import Establishment, RosterMember, VenueDay

MAX_SILENT_DAYS = 92


def parse_days(value: object, default: int = 7) -> int:
    if value in (None, ""):
        return default
    try:
        days = int(str(value))
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_SILENT_DAYS:
        raise Invalid(_("Số ngày phải từ 1 đến %(n)s.") % {"n": MAX_SILENT_DAYS},
                      code="days_invalid", field="days")
    return days


def unregistered(area: Area, sectors: frozenset[str] | None) -> QuerySet[Establishment]:
    return (establishments(area, sectors).exclude(registered_venue_exists(area))
            .select_related("area").order_by("area__code", "name"))


def silent_venues(area: Area, sectors: frozenset[str] | None, days: int, today: date):
    """Active venues registered before the window with no accepted scan in the last `days`
    days (read from the per-venue daily rollup, not from the scans)."""
    from kiemdich.venues.models import Venue

    since = today - timedelta(days=days - 1)
    qs = Venue.objects.filter(area__path__startswith=area.path, status=Venue.Status.ACTIVE,
                              created_at__date__lt=since)
    if sectors:
        qs = qs.filter(sector__in=sectors)
    active = VenueDay.objects.filter(day__gte=since, day__lte=today).values("venue_id")
    last = (VenueDay.objects.filter(venue_id=OuterRef("pk")).values("venue_id")
            .annotate(last=Max("day")).values("last"))
    return (qs.exclude(pk__in=active).annotate(last_active=Subquery(last))
            .select_related("area").order_by("area__code", "name"))


def undeclared(area: Area, sectors: frozenset[str] | None, today: date,
               organisation_id: int | None = None) -> QuerySet[RosterMember]:
    qs = roster_members(area, sectors).exclude(declared_on(today))
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.select_related("organisation").order_by("organisation__name", "full_name")
