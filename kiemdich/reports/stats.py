"""The authorities' figures, read from the rollups only.

Distinct counts (venues active, people who declared) are counted distinct over the range from
the per-day tables, so a venue scanned on three days of a week counts once for the week.
Figures of venues follow the sector filter; figures of people (declarations, citizens) belong
to an area, not to a sector, and stay area-wide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, overload

from django.conf import settings
from django.db.models import BigIntegerField, Case, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import Role, Sector
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.areas.services import resolve_area
from kiemdich.core import clock
from kiemdich.core.errors import Forbidden, Invalid, NotFound
from kiemdich.reports import rollups
from kiemdich.reports.models import (
    CitizenRegistration,
    DailyRollup,
    DeclarantSeen,
    DeclarationRollup,
    VenueRegistration,
    VenueSeen,
)

STATS_ROLES = (Role.OFFICER, Role.HEALTH_OFFICER, Role.INSPECTOR, Role.ADMIN)
FIGURES = ("venues_registered", "venues_active", "scans_in", "scans_out", "declarations",
           "declarants", "symptomatic", "citizens_registered")
VENUE_FIGURES = FIGURES[:4]
TREND_MIN_DAYS = 14


def max_range_days() -> int:
    return int(getattr(settings, "REPORT_MAX_RANGE_DAYS", 92))


@dataclass(frozen=True)
class StatsQuery:
    """What a viewer asked for, checked against their scope."""

    area: Area
    date_from: date
    date_to: date
    # None = every sector; otherwise venue figures are limited to these.
    sectors: frozenset[str] | None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def sector(self) -> str:
        return next(iter(self.sectors)) if self.sectors and len(self.sectors) == 1 else ""


@dataclass
class Row:
    area: Area
    figures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))


@dataclass
class Stats:
    query: StatsQuery
    totals: dict[str, int]
    rows: list[Row]
    by_type: list[dict]
    trend: list[dict]
    refreshed_at: datetime | None


@overload
def parse_date(value: str | None, name: str, default: date) -> date: ...
@overload
def parse_date(value: str | None, name: str, default: None) -> date | None: ...
def parse_date(value: str | None, name: str, default: date | None) -> date | None:
    if value in (None, ""):
        return default
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(_("Ngày không hợp lệ (cần dạng YYYY-MM-DD)."), code="date_invalid",
                      field=name) from None


def build_query(scope: Scope, area_code: str | None, date_from: str | None,
                date_to: str | None, sector: str | None) -> StatsQuery:
    """Check the viewer's reach and the filters: 404 outside the scope, 422 for bad dates."""
    if not scope.has(*STATS_ROLES):
        raise Forbidden(_("Chỉ cán bộ quản lý xem được thống kê."), code="not_an_officer")
    if area_code:
        area = resolve_area(area_code)
    else:
        roots = scope.root_areas(*STATS_ROLES)
        if not roots:
            raise NotFound(_("Không có địa bàn."), code="area_unknown", field="area")
        area = roots[0]
    reach = scope.sector_reach(area, *STATS_ROLES)
    if reach is None:
        # Same answer as an unknown code: an officer learns nothing about other areas.
        raise NotFound(_("Không có địa bàn mã %(code)s.") % {"code": area_code},
                       code="area_unknown", field="area")
    if sector and sector not in Sector.values:
        raise Invalid(_("Lĩnh vực không hợp lệ."), code="sector_invalid", field="sector")
    if sector and reach and sector not in reach:
        raise NotFound(_("Không có số liệu lĩnh vực này trong phạm vi của bạn."),
                       code="sector_out_of_scope", field="sector")
    today = clock.today()
    end = parse_date(date_to, "date_to", today)
    start = parse_date(date_from, "date_from", end)
    if start > end:
        raise Invalid(_("Ngày bắt đầu sau ngày kết thúc."), code="date_range_invalid",
                      field="date_from")
    if (end - start).days + 1 > max_range_days():
        raise Invalid(_("Khoảng thời gian quá dài (tối đa %(n)s ngày).") % {"n": max_range_days()},
                      code="date_range_too_long", field="date_to")
    sectors = frozenset({sector}) if sector else (reach or None)
    return StatsQuery(area, start, end, sectors)


VenueKey = tuple[int, str, str]  # (commune, sector, venue type)


def _venue_figures(query: StatsQuery) -> dict[VenueKey, dict[str, int]]:
    """The venue figures per (commune, sector, type): a venue has one of each, so the totals,
    the rows per child area and the rows per type are all sums of these — three queries for
    the three views instead of nine."""
    in_area = Q(area__path__startswith=query.area.path)
    in_range = Q(day__gte=query.date_from, day__lte=query.date_to)
    in_sector = Q(sector__in=query.sectors) if query.sectors else Q()
    keys = ("area_id", "sector", "venue_type")
    parts = [
        (DailyRollup.objects.filter(in_area, in_range, in_sector),
         {"scans_in": Sum("scans_in"), "scans_out": Sum("scans_out")}),
        (VenueSeen.objects.filter(in_area, in_range, in_sector, _unseen_since(query)),
         {"venues_active": Sum("venues")}),
        (VenueRegistration.objects.filter(in_area, in_sector, day__lte=query.date_to),
         {"venues_registered": Sum("venues")}),
    ]
    merged: dict[VenueKey, dict[str, int]] = {}
    for queryset, aggregates in parts:
        for row in queryset.values(*keys).annotate(**aggregates).order_by():
            target = merged.setdefault((row["area_id"], row["sector"], row["venue_type"]), {})
            for name in aggregates:
                target[name] = int(row[name] or 0)
    return merged


def _people_figures(query: StatsQuery) -> dict[int, dict[str, int]]:
    """Declarations, symptoms, declarants and registered citizens per commune."""
    in_area = Q(area__path__startswith=query.area.path)
    in_range = Q(day__gte=query.date_from, day__lte=query.date_to)
    parts = [
        (DeclarationRollup.objects.filter(in_area, in_range),
         {"declarations": Sum("declarations"), "symptomatic": Sum("symptomatic")}),
        (_new_declarants(query).filter(in_area, area__is_leaf=True),
         {"declarants": Sum("people")}),
        (CitizenRegistration.objects.filter(in_area, day__lte=query.date_to),
         {"citizens_registered": Sum("citizens")}),
    ]
    merged: dict[int, dict[str, int]] = {}
    for queryset, aggregates in parts:
        for row in queryset.values("area_id").annotate(**aggregates).order_by():
            target = merged.setdefault(row["area_id"], {})
            for name in aggregates:
                target[name] = int(row[name] or 0)
    return merged


def _add(target: dict[str, int], figures: dict[str, int]) -> None:
    for name, value in figures.items():
        target[name] = target.get(name, 0) + value


def _unseen_since(query: StatsQuery) -> Q:
    """Rows of VenueSeen/DeclarantSeen counting those not seen since before the range began:
    summed over the range, they count each venue or person once."""
    return Q(prev_day__isnull=True) | Q(prev_day__lt=query.date_from)


def _new_declarants(query: StatsQuery) -> QuerySet[DeclarantSeen]:
    return DeclarantSeen.objects.filter(_unseen_since(query), day__gte=query.date_from,
                                        day__lte=query.date_to)


def children_of_communes(area: Area) -> tuple[list[Area], dict[int, int]]:
    """The child areas of `area`, and each commune under it mapped to its child."""
    children = list(area.children.order_by("code"))
    owner: dict[int, int] = {}
    for pk, path in Area.objects.subtree(area).leaves().values_list("pk", "path"):
        for child in children:
            if path.startswith(child.path):
                owner[pk] = child.pk
                break
    return children, owner


def _distinct_by_child(query: StatsQuery, owner: dict[int, int]) -> dict:
    """Distinct venues and declarants per child area: a person declaring in two communes of
    one district counts once for it, so these cannot be summed from communes."""
    members: dict[int, list[int]] = {}
    for commune, child in owner.items():
        members.setdefault(child, []).append(commune)
    case = Case(*[When(area_id__in=ids, then=Value(child)) for child, ids in members.items()],
                default=Value(None), output_field=BigIntegerField())
    in_area = Q(area_id__in=list(owner), day__gte=query.date_from, day__lte=query.date_to)
    in_sector = Q(sector__in=query.sectors) if query.sectors else Q()
    merged: dict = {}
    for row in VenueSeen.objects.filter(in_area, in_sector, _unseen_since(query)) \
            .values(child=case).annotate(n=Sum("venues")).order_by():
        merged.setdefault(row["child"], {})["venues_active"] = row["n"]
    for child, people in _new_declarants(query).filter(area_id__in=list(members)) \
            .values("area_id").annotate(n=Sum("people")).values_list("area_id", "n"):
        merged.setdefault(child, {})["declarants"] = people
    return merged


def _trend(query: StatsQuery) -> list[dict]:
    start = min(query.date_from, query.date_to - timedelta(days=TREND_MIN_DAYS - 1))
    in_area = Q(area__path__startswith=query.area.path, day__gte=start, day__lte=query.date_to)
    in_sector = Q(sector__in=query.sectors) if query.sectors else Q()
    scans = {r["day"]: r for r in DailyRollup.objects.filter(in_area, in_sector).values("day")
             .annotate(scans_in=Sum("scans_in"), scans_out=Sum("scans_out"),
                       venues_active=Sum("venues_active")).order_by()}
    decls = {r["day"]: r for r in DeclarationRollup.objects.filter(in_area).values("day")
             .annotate(declarations=Sum("declarations"), symptomatic=Sum("symptomatic"))
             .order_by()}
    days = []
    day = start
    while day <= query.date_to:
        s: Mapping[str, Any] = scans.get(day, {})
        d: Mapping[str, Any] = decls.get(day, {})
        days.append({"day": day, "scans_in": s.get("scans_in") or 0,
                     "scans_out": s.get("scans_out") or 0,
                     "venues_active": s.get("venues_active") or 0,
                     "declarations": d.get("declarations") or 0,
                     "symptomatic": d.get("symptomatic") or 0})
        day += timedelta(days=1)
    return days


def compute(query: StatsQuery, *, with_details: bool = True) -> Stats:
    venues = _venue_figures(query)
    people = _people_figures(query)
    totals = dict.fromkeys(FIGURES, 0)
    for figures in [*venues.values(), *people.values()]:
        _add(totals, figures)
    # Distinct declarants of the whole area: a person declaring in two of its communes once.
    totals["declarants"] = int(_new_declarants(query).filter(area=query.area)
                               .aggregate(n=Sum("people"))["n"] or 0)
    children, owner = children_of_communes(query.area)
    # By child area; None: communes under none of the children.
    by_child: dict[int | None, dict[str, int]] = {}
    for (commune, _sector, _type), figures in venues.items():
        _add(by_child.setdefault(owner.get(commune), {}), figures)
    for commune, figures in people.items():
        _add(by_child.setdefault(owner.get(commune), {}), figures)
    if owner and any(not child.is_leaf for child in children):
        for child, figures in _distinct_by_child(query, owner).items():
            by_child.setdefault(child, {}).update(figures)
    rows = []
    for child in children:
        row = Row(child)
        row.figures.update(by_child.get(child.pk, {}))
        rows.append(row)
    by_type: list[dict] = []
    trend: list[dict] = []
    if with_details:
        grouped: dict[tuple[str, str], dict[str, int]] = {}
        for (_commune, sector, venue_type), figures in venues.items():
            _add(grouped.setdefault((sector, venue_type), {}), figures)
        by_type = [{"sector": sector, "venue_type": venue_type,
                    **{k: figures.get(k, 0) for k in VENUE_FIGURES}}
                   for (sector, venue_type), figures in sorted(grouped.items())]
        trend = _trend(query)
    return Stats(query, totals, rows, by_type, trend, rollups.refreshed_at())
