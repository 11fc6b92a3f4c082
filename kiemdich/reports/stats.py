"""The authorities' figures, read from the rollups only: those kept at every area level
(AreaDay, AreaVenueSeen, AreaRegistration, DeclarantSeen), so an area's view reads its own
rows and its children's whatever the number of communes under it.

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

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import Sector
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.areas.services import resolve_area
from kiemdich.core import clock
from kiemdich.core.errors import Forbidden, Invalid, NotFound
from kiemdich.core.forms import parse_day
from kiemdich.reports import rollups
from kiemdich.reports.models import AreaDay, AreaRegistration, AreaVenueSeen, DeclarantSeen
from kiemdich.reports.rollups import max_range_days

FIGURES = ("venues_registered", "venues_active", "scans_in", "scans_out", "declarations",
           "declarants", "symptomatic", "citizens_registered")
VENUE_FIGURES = FIGURES[:4]
TREND_MIN_DAYS = 14


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
        # As a person types it in a filter (dd/mm/yyyy), or as the API takes it (ISO).
        return parse_day(str(value))
    except ValueError:
        raise Invalid(_("Ngày không hợp lệ (cần dạng dd/mm/yyyy hoặc YYYY-MM-DD)."),
                      code="date_invalid", field=name) from None


def build_query(scope: Scope, area_code: str | None, date_from: str | None,
                date_to: str | None, sector: str | None) -> StatsQuery:
    """Check the viewer's reach and the filters: 404 outside the scope, 422 for bad dates."""
    if not scope.has(*policy.STATISTICS):
        raise Forbidden(_("Chỉ cán bộ quản lý xem được thống kê."), code="not_an_officer")
    if area_code:
        area = resolve_area(area_code)
    else:
        roots = scope.root_areas(*policy.STATISTICS)
        if not roots:
            raise NotFound(_("Không có địa bàn."), code="area_unknown", field="area")
        area = roots[0]
    reach = scope.sector_reach(area, *policy.STATISTICS)
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


def _add(target: dict[str, int], figures: dict[str, int]) -> None:
    for name, value in figures.items():
        target[name] = target.get(name, 0) + value


def _area_figures(query: StatsQuery, ids: list[int]
                  ) -> tuple[dict[int, dict[str, int]], dict[tuple[str, str], dict[str, int]]]:
    """Every figure of each of these areas (the asked one and its children), read from the
    rollups kept at every area level, and the asked area's venue figures per (sector, type):
    a handful of rows per area and day instead of one per commune."""
    area = query.area.pk
    in_range = Q(day__gte=query.date_from, day__lte=query.date_to)
    in_sector = Q(sector__in=query.sectors) if query.sectors else Q()
    venue_rows = ~Q(venue_type="") & in_sector
    per_area: dict[int, dict[str, int]] = {pk: dict.fromkeys(FIGURES, 0) for pk in ids}
    by_type: dict[tuple[str, str], dict[str, int]] = {}

    def count(area_id: int, sector: str, venue_type: str, figures: dict[str, int]) -> None:
        _add(per_area[area_id], figures)
        if area_id == area and venue_type:
            _add(by_type.setdefault((sector, venue_type), {}), figures)

    keys = ("area_id", "sector", "venue_type")
    for row in (AreaDay.objects.filter(in_range, area_id__in=ids)
                .filter(venue_rows | Q(venue_type="")).values(*keys)
                .annotate(scans_in=Sum("scans_in"), scans_out=Sum("scans_out"),
                          declarations=Sum("declarations"), symptomatic=Sum("symptomatic"))
                .order_by()):
        figures = ({"scans_in": row["scans_in"], "scans_out": row["scans_out"]}
                   if row["venue_type"] else
                   {"declarations": row["declarations"], "symptomatic": row["symptomatic"]})
        count(row["area_id"], row["sector"], row["venue_type"],
              {k: int(v or 0) for k, v in figures.items()})
    for row in (AreaVenueSeen.objects.filter(in_range, in_sector, _unseen_since(query),
                                             area_id__in=ids)
                .values(*keys).annotate(n=Sum("venues")).order_by()):
        count(row["area_id"], row["sector"], row["venue_type"],
              {"venues_active": int(row["n"] or 0)})
    for row in (AreaRegistration.objects.filter(venue_rows | Q(venue_type=""), area_id__in=ids,
                                                day__lte=query.date_to)
                .values(*keys).annotate(venues=Sum("venues"), citizens=Sum("citizens"))
                .order_by()):
        figures = ({"venues_registered": int(row["venues"] or 0)} if row["venue_type"]
                   else {"citizens_registered": int(row["citizens"] or 0)})
        count(row["area_id"], row["sector"], row["venue_type"], figures)
    # Distinct declarants of each area: a person declaring in two of its communes once.
    for area_id, people in (_new_declarants(query).filter(area_id__in=ids)
                            .values("area_id").annotate(n=Sum("people"))
                            .values_list("area_id", "n")):
        per_area[area_id]["declarants"] = int(people or 0)
    return per_area, by_type


def _trend(query: StatsQuery) -> list[dict]:
    start = min(query.date_from, query.date_to - timedelta(days=TREND_MIN_DAYS - 1))
    in_sector = Q(sector__in=query.sectors) if query.sectors else Q()
    by_day: dict = {}
    for row in (AreaDay.objects.filter(area=query.area, day__gte=start, day__lte=query.date_to)
                .filter((~Q(venue_type="") & in_sector) | Q(venue_type=""))
                .values("day", people=ExpressionWrapper(Q(venue_type=""),
                                                        output_field=BooleanField()))
                .annotate(scans_in=Sum("scans_in"), scans_out=Sum("scans_out"),
                          venues_active=Sum("venues_active"),
                          declarations=Sum("declarations"), symptomatic=Sum("symptomatic"))
                .order_by()):
        target = by_day.setdefault(row["day"], dict.fromkeys(
            ("scans_in", "scans_out", "venues_active", "declarations", "symptomatic"), 0))
        names = (("declarations", "symptomatic") if row["people"] else
                 ("scans_in", "scans_out", "venues_active"))
        sums: Mapping[str, Any] = row  # read by a name in a variable
        for name in names:
            target[name] += int(sums[name] or 0)
    days = []
    day = start
    while day <= query.date_to:
        days.append({"day": day, **by_day.get(day, dict.fromkeys(
            ("scans_in", "scans_out", "venues_active", "declarations", "symptomatic"), 0))})
        day += timedelta(days=1)
    return days


def compute(query: StatsQuery, *, with_details: bool = True) -> Stats:
    children = list(query.area.children.order_by("code"))
    per_area, grouped = _area_figures(query, [query.area.pk, *(c.pk for c in children)])
    rows = []
    for child in children:
        row = Row(child)
        row.figures.update(per_area[child.pk])
        rows.append(row)
    by_type: list[dict] = []
    trend: list[dict] = []
    if with_details:
        by_type = [{"sector": sector, "venue_type": venue_type,
                    **{k: figures.get(k, 0) for k in VENUE_FIGURES}}
                   for (sector, venue_type), figures in sorted(grouped.items())]
        trend = _trend(query)
    return Stats(query, per_area[query.area.pk], rows, by_type, trend, rollups.refreshed_at())
