"""The authorities' figures, read from the rollups only: those kept at every area level
(AreaDay, AreaVenueSeen, AreaRegistration, DeclarantSeen), so an area's view reads its own
rows and its children's whatever the number of communes under it.

Distinct counts (venues active, people who declared) are counted distinct over the range from
the per-day tables, so a venue scanned on three days of a week counts once for the week.
Figures of venues follow the sector filter; figures of people (declarations, citizens) belong
to an area, not to a sector, and stay area-wide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, overload

from django.db import connection
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import Sector
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.areas.services import resolve_area
from kiemdich.core import clock
from kiemdich.core.db import execute, prepared_cursor
from kiemdich.core.errors import Forbidden, Invalid, NotFound
from kiemdich.core.forms import parse_day
from kiemdich.reports import rollups
from kiemdich.reports.models import (
    AreaDay,
    AreaRegistered,
    AreaRegistration,
    AreaRunningTotal,
    AreaVenueSeen,
    DeclarantSeen,
)
from kiemdich.reports.rollups import max_range_days

FIGURES = ("venues_registered", "venues_active", "scans_in", "scans_out", "declarations",
           "declarants", "symptomatic", "citizens_registered")
VENUE_FIGURES = FIGURES[:4]
TREND_MIN_DAYS = 14
TREND = ("scans_in", "scans_out", "venues_active", "declarations", "symptomatic")


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
        raise Invalid(code="date_invalid", field=name) from None


def build_query(scope: Scope, area_code: str | None, date_from: str | None,
                date_to: str | None, sector: str | None) -> StatsQuery:
    """Check the viewer's reach and the filters: 404 outside the scope, 422 for bad dates."""
    if not scope.has(*policy.STATISTICS):
        raise Forbidden(code="not_an_officer")
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
        raise Invalid(code="sector_invalid", field="sector")
    if sector and reach and sector not in reach:
        raise NotFound(code="sector_out_of_scope", field="sector")
    today = clock.today()
    end = parse_date(date_to, "date_to", today)
    start = parse_date(date_from, "date_from", end)
    if start > end:
        raise Invalid(code="date_range_invalid", field="date_from")
    if (end - start).days + 1 > max_range_days():
        raise Invalid(code="date_range_too_long", field="date_to", params={"n": max_range_days()})
    sectors = frozenset({sector}) if sector else (reach or None)
    return StatsQuery(area, start, end, sectors)


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


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _select(**figures: str) -> str:
    """The eight figures of a part of the statement: those named, the others 0."""
    return ", ".join(f"{figures.get(name, '0')} AS {name}" for name in FIGURES)


@lru_cache(maxsize=len(Sector.values) + 1)
def _statement(sectors: int) -> str:
    """The figures of an area and its children over a range, its venue figures per (sector,
    type) and its days, in one statement written once per number of sectors asked (0: every
    sector), on both databases; its parameters are named (`_parameters`).

    Each part reads only the rollups of these areas for the range: the scans and declarations
    two rows of running totals per (area, sector) — the range's last kept day less the one
    before it (a day without rows changed nothing; none in between, nothing in the range) —
    the registrations a total less the days after the range, and the distinct counts (venues
    active, declarants) the rows of those not seen since before the range (every row of its
    first day, and of later days those idle since before it or unseen within the longest
    range), each part one index range per (area, day) of (area, day, prev_day). Venue rows
    carry no declarations and people's rows (sector and type empty) no scans. Rows: one per
    area with figures, one per (sector, type) of the asked area, one per day of the trend (first:
PostgreSQL types a union's NULL columns by its first rows that have a type)."""
    # Only quoted table names and column names are written in; every value is a parameter.
    listed = ", ".join(f"%(s{i})s" for i in range(sectors))
    in_sector = f"sector IN ({listed})" if sectors else "1 = 1"
    running = _select(
        **{name: f"k.sign * r.{name}" for name in ("declarations", "symptomatic")},
        **{name: f"k.sign * CASE WHEN r.{in_sector} THEN r.{name} ELSE 0 END" if sectors
           else f"k.sign * r.{name}" for name in ("scans_in", "scans_out")})
    areas = "area_id IN (SELECT id FROM areas)"
    unseen = ["day = %(date_from)s",
              "day > %(date_from)s AND day <= %(date_to)s AND prev_day < %(date_from)s",
              "day > %(date_from)s AND day <= %(date_to)s AND prev_day IS NULL"]
    venues = f"(venue_type = '' OR {in_sector})"
    summed = _select(**{name: f"SUM({name})" for name in FIGURES})
    active = " UNION ALL ".join(
        f"SELECT area_id, sector, venue_type, 1, 1, {_select(venues_active='venues')} "  # noqa: S608
        f"FROM {_table(AreaVenueSeen)} WHERE {areas} AND {in_sector} AND {days}"
        for days in unseen)
    declarants = " UNION ALL ".join(
        f"SELECT area_id, '', '', 1, 0, {_select(declarants='people')} "  # noqa: S608
        f"FROM {_table(DeclarantSeen)} WHERE {areas} AND {days}" for days in unseen)
    return f"""
WITH areas AS (SELECT id FROM {_table(Area)} WHERE id = %(area)s OR parent_id = %(area)s),
bounds AS (SELECT
    (SELECT MAX(day) FROM {_table(AreaRunningTotal)} WHERE day <= %(date_to)s) AS end_day,
    (SELECT MAX(day) FROM {_table(AreaRunningTotal)} WHERE day < %(date_from)s) AS before_day),
kept AS (
    SELECT end_day AS day, 1 AS sign FROM bounds
    WHERE before_day IS NULL OR before_day <> end_day
    UNION ALL
    SELECT before_day, -1 FROM bounds WHERE before_day <> end_day),
parts AS (
    SELECT r.area_id, '' AS sector, '' AS venue_type, 1 AS of_area, 0 AS of_type, {running}
    FROM areas a CROSS JOIN kept k
    JOIN {_table(AreaRunningTotal)} r ON r.area_id = a.id AND r.day = k.day
    UNION ALL
    SELECT area_id, sector, venue_type, 0, 1, {_select(scans_in="scans_in",
                                                        scans_out="scans_out")}
    FROM {_table(AreaDay)} WHERE area_id = %(area)s AND venue_type <> '' AND {in_sector}
        AND day >= %(date_from)s AND day <= %(date_to)s
    UNION ALL {active}
    UNION ALL
    SELECT area_id, sector, venue_type, 1, 1, {_select(venues_registered="venues",
                                                        citizens_registered="citizens")}
    FROM {_table(AreaRegistered)} WHERE {areas} AND {venues}
    UNION ALL
    SELECT area_id, sector, venue_type, 1, 1, {_select(venues_registered="-venues",
                                                        citizens_registered="-citizens")}
    FROM {_table(AreaRegistration)} WHERE {areas} AND {venues} AND day > %(date_to)s
    UNION ALL {declarants}
)
SELECT 'day' AS part, NULL AS area_id, '' AS sector, '' AS venue_type, day,
    {_select(**{name: f"SUM({name})" for name in TREND})}
FROM {_table(AreaDay)} WHERE area_id = %(area)s AND {venues}
    AND day >= %(trend_from)s AND day <= %(date_to)s
GROUP BY day
UNION ALL
SELECT 'area', area_id, '', '', NULL, {summed}
FROM parts WHERE of_area = 1 GROUP BY area_id
UNION ALL
SELECT 'type', NULL, sector, venue_type, NULL, {summed}
FROM parts WHERE of_type = 1 AND area_id = %(area)s AND venue_type <> ''
GROUP BY sector, venue_type"""  # noqa: S608


def _parameters(query: StatsQuery, trend_from: date) -> dict[str, Any]:
    day = connection.ops.adapt_datefield_value
    return {"area": query.area.pk, "date_from": day(query.date_from),
            "date_to": day(query.date_to), "trend_from": day(trend_from),
            **{f"s{i}": sector for i, sector in enumerate(sorted(query.sectors or ()))}}


def _day(value: date | str) -> date:
    """A day as the database answers it: SQLite has no type for a column of a union."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def compute(query: StatsQuery, *, with_details: bool = True) -> Stats:
    children = list(query.area.children.order_by("code"))
    trend_from = min(query.date_from, query.date_to - timedelta(days=TREND_MIN_DAYS - 1))
    per_area: dict[int, dict[str, int]] = {}
    grouped: dict[tuple[str, str], dict[str, int]] = {}
    by_day: dict[date, dict[str, int]] = {}
    # Prepared on PostgreSQL: planned once per connection instead of at every request.
    with prepared_cursor() if connection.vendor == "postgresql" else connection.cursor() \
            as cursor:
        execute(cursor, _statement(len(query.sectors or ())), _parameters(query, trend_from))
        for part, area_id, sector, venue_type, day, *values in cursor.fetchall():
            figures = {name: int(value or 0) for name, value in zip(FIGURES, values,
                                                                     strict=True)}
            if part == "area":
                per_area[area_id] = figures
            elif part == "type":
                grouped[sector, venue_type] = figures
            else:
                by_day[_day(day)] = {name: figures[name] for name in TREND}
    rows = []
    for child in children:
        row = Row(child)
        row.figures.update(per_area.get(child.pk, {}))
        rows.append(row)
    by_type: list[dict] = []
    trend: list[dict] = []
    if with_details:
        by_type = [{"sector": sector, "venue_type": venue_type,
                    **{k: figures[k] for k in VENUE_FIGURES}}
                   for (sector, venue_type), figures in sorted(grouped.items())]
        trend = [{"day": day, **by_day.get(day, dict.fromkeys(TREND, 0))}
                 for day in (trend_from + timedelta(days=i)
                             for i in range((query.date_to - trend_from).days + 1))]
    return Stats(query, per_area.get(query.area.pk, dict.fromkeys(FIGURES, 0)), rows, by_type,
                 trend, rollups.refreshed_at())
