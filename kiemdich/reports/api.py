"""Statistics for the authorities (contract: GET /api/v1/stats)."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Router, Schema

from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.scopes import scope_of
from kiemdich.replica import replica_lag_of, replica_reads
from kiemdich.reports import stats as stats_service

router = Router(tags=["reports"])


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class FiguresOut(Schema):
    venues_registered: int
    venues_active: int
    scans_in: int
    scans_out: int
    declarations: int
    declarants: int
    symptomatic: int
    citizens_registered: int


class AreaRowOut(FiguresOut):
    area_code: str
    area_name: str


class TypeRowOut(Schema):
    sector: str
    venue_type: str
    venues_registered: int
    venues_active: int
    scans_in: int
    scans_out: int


class TrendDayOut(Schema):
    day: date
    scans_in: int
    scans_out: int
    venues_active: int
    declarations: int
    symptomatic: int


class StatsOut(Schema):
    area_code: str
    area_name: str
    date_from: date
    date_to: date
    sector: str
    refreshed_at: datetime | None
    # How far behind the leader the replica these figures were read from was (seconds);
    # null when they were read from the leader (kiemdich/replica.py).
    replica_lag_seconds: float | None
    totals: FiguresOut
    rows: list[AreaRowOut]
    by_type: list[TypeRowOut]
    trend: list[TrendDayOut]


def stats_payload(result: stats_service.Stats) -> dict:
    query = result.query
    return {
        "area_code": query.area.code, "area_name": query.area.name,
        "date_from": query.date_from, "date_to": query.date_to, "sector": query.sector,
        "refreshed_at": result.refreshed_at, "totals": result.totals,
        "rows": [{"area_code": r.area.code, "area_name": r.area.name, **r.figures}
                 for r in result.rows],
        "by_type": result.by_type, "trend": result.trend,
    }


@router.get("/stats", response={200: StatsOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                422: ErrorOut}, auth=PEOPLE_AUTH)
@replica_reads
def get_stats(request: HttpRequest, area: str | None = None, date_from: str | None = None,
              date_to: str | None = None, sector: str | None = None):
    """Totals for the area and one row per child area, for a day or a range (dates are
    calendar days in Asia/Ho_Chi_Minh, default today). Venue figures follow `sector`;
    declaration and citizen figures are area-wide. Officers, health officers, inspectors and
    admins within their grants only; other areas answer 404."""
    query = stats_service.build_query(scope_of(request), area, date_from, date_to, sector)
    return {**stats_payload(stats_service.compute(query)),
            "replica_lag_seconds": replica_lag_of(request)}
