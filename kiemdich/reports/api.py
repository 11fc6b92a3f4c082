"""Statistics for the authorities (contract: GET /api/v1/stats), inspections, and imports
uploaded as long tasks."""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from pydantic import BaseModel

from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import scope_of
from kiemdich.core import clock
from kiemdich.core.middleware import upload_route
from kiemdich.core.replica import replica_lag_of, replica_reads
from kiemdich.core.schemas import ErrorOut
from kiemdich.jobpages.api import TaskOut, task_out
from kiemdich.reports import imports, inspections
from kiemdich.reports import stats as stats_service

router = Router(tags=["reports"])


class Plain(BaseModel):
    """An answer built of dicts and dates: validated by pydantic itself, without ninja's
    Schema wrapping each object to read ORM attributes — on the dashboard's 100-odd rows
    that wrapping was most of the request's Python time."""


class FiguresOut(Plain):
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


class TypeRowOut(Plain):
    sector: str
    venue_type: str
    venues_registered: int
    venues_active: int
    scans_in: int
    scans_out: int


class TrendDayOut(Plain):
    day: date
    scans_in: int
    scans_out: int
    venues_active: int
    declarations: int
    symptomatic: int


class StatsOut(Plain):
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
def get_stats(request: AuthedRequest, area: str | None = None, date_from: str | None = None,
              date_to: str | None = None, sector: str | None = None) -> dict:
    """Totals for the area and one row per child area, for a day or a range (dates are
    local calendar days (TIME_ZONE), default today). Venue figures follow `sector`;
    declaration and citizen figures are area-wide. Officers, health officers, inspectors and
    admins within their grants only; other areas answer 404."""
    query = stats_service.build_query(scope_of(request), area, date_from, date_to, sector)
    return {**stats_payload(stats_service.compute(query)),
            "replica_lag_seconds": replica_lag_of(request)}


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class VenueFoundOut(Schema):
    id: int
    code: str
    name: str
    street: str
    area_code: str
    area_name: str


@router.get("/inspections/venues", response={200: list[VenueFoundOut], **ERRORS},
            auth=PEOPLE_AUTH)
def inspection_venues(request: AuthedRequest, q: str = "") -> list[dict]:
    """Venues an inspector may inspect that `q` names (name or address words, accents
    ignored; the code as printed; the poster's check-in URL as a scanner reads it): only
    within the inspector's area and sector, at most 20, none for fewer than 2 characters."""
    return [{"id": v.pk, "code": v.code, "name": v.name, "street": v.street,
             "area_code": v.area.code, "area_name": v.area.name}
            for v in inspections.search_venues(scope_of(request), q)]


class PersonFoundOut(Schema):
    id: int
    name: str
    phone: str
    organisation: str
    area_name: str
    masked: bool


@router.get("/inspections/people", response={200: list[PersonFoundOut], **ERRORS},
            auth=PEOPLE_AUTH)
def inspection_people(request: AuthedRequest, q: str = "") -> list[dict]:
    """People obliged to declare who have not declared today, within the inspector's area
    and sector, that `q` names: part of the name, part of the phone number, or the whole ID
    number. Name and phone masked except for health officers and admins; at most 20, none
    for fewer than 2 characters. `id` is the `roster_member_id` of an inspection."""
    scope = scope_of(request)
    full = inspections.sees_people_in_full(scope)
    return [inspections.person_label(m, full=full)
            for m in inspections.search_undeclared(scope, q, clock.today())]


class InspectionIn(Schema):
    subject: str = "venue"
    venue_code: str = ""
    establishment_reg_no: str = ""
    roster_member_id: int | None = None
    inspected_at: datetime
    poster_displayed: bool = False
    scanning_enforced: bool = False
    staff_declared: bool = False
    result: str
    violation: str = ""
    fine: int | None = Field(None, ge=0, le=10**10)
    notes: str = Field("", max_length=2000)


class InspectionOut(Schema):
    id: int
    subject: str
    subject_name: str
    area_code: str
    result: str
    violation: str
    fine_min: int | None
    fine_max: int | None
    fine: int | None
    record_pdf_url: str


@router.post("/inspections", response={201: InspectionOut, **ERRORS}, auth=PEOPLE_AUTH)
def record_inspection(request: AuthedRequest, body: InspectionIn) -> tuple[int, dict]:
    """Record an inspection (inspectors and admins): of a venue (`venue_code`, or the
    poster's URL), of an establishment of the registry that never registered one
    (`establishment_reg_no`), or of a person obliged to declare who did not
    (`roster_member_id`). Out of scope or unknown: 404 `venue_unknown`,
    `establishment_unknown`, `person_unknown`; an article not in the catalogue: 422
    `violation_unknown`; a fine outside the article's bracket (the individual's for a person,
    twice it for a venue or establishment): 422 `fine_out_of_range`."""
    scope = scope_of(request)
    inspection = inspections.record(scope, request.auth, inspections.InspectionInput(
        subject=body.subject, venue_code=body.venue_code,
        establishment_reg_no=body.establishment_reg_no,
        roster_member_id=body.roster_member_id, inspected_at=body.inspected_at,
        poster_displayed=body.poster_displayed, scanning_enforced=body.scanning_enforced,
        staff_declared=body.staff_declared, result=body.result,
        violation_code=body.violation, fine=body.fine, notes=body.notes))
    low, high = (inspections.fine_bracket(inspection.violation, inspection.subject)
                 if inspection.violation else (None, None))
    return 201, {
        "id": inspection.pk, "subject": inspection.subject,
        "subject_name": inspection.subject_name, "area_code": inspection.area.code,
        "result": inspection.result,
        "violation": inspection.violation.code if inspection.violation else "",
        "fine_min": low, "fine_max": high, "fine": inspection.fine,
        "record_pdf_url": reverse("reports:inspection_record", args=[inspection.pk]),
    }


@router.post("/imports/{kind}", response={202: TaskOut, 413: ErrorOut, **ERRORS},
             auth=PEOPLE_AUTH, url_name=upload_route("import_upload"))
def upload_import(request: AuthedRequest, kind: str, file: File[UploadedFile],
                  all_or_nothing: Form[bool] = False, organisation: Form[str] = "",
                  organisation_area: Form[str] = "", organisation_sector: Form[str] = "") -> Status:
    """Import a CSV file (UTF-8) as the portal's import form does, multipart: `kind` is
    `population`, `establishments` or `roster` (a roster names its organisation, its
    commune's code and sector). The file may be as large as UPLOAD_MAX_BYTES (413
    `body_too_large` beyond); its encoding (422 `csv_encoding`) and header (422
    `csv_columns`) are checked before any task exists, the rows by a worker: 202 with the
    task, followed at `GET /api/v1/tasks/{id}` (the bad rows' CSV at `errors_url`).
    Officers and admins only (403 `import_forbidden`)."""
    task = imports.start_upload(
        scope_of(request), request.auth, kind, file, all_or_nothing=all_or_nothing,
        organisation=organisation, organisation_area=organisation_area,
        organisation_sector=organisation_sector)
    return Status(202, task_out(task))
