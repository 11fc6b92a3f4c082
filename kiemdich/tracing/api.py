"""Cases, exposures, F2 expansion, zoning, notices and exports for health officers; the
citizen's own notices."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.ratelimit import rate_limited
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import scope_of
from kiemdich.areas.services import resolve_area
from kiemdich.core.masking import shape_for_officer
from kiemdich.core.rendering import json_time, rendered
from kiemdich.core.schemas import ErrorOut, PersonShape
from kiemdich.jobpages.api import TaskOut, task_out
from kiemdich.tracing import engine, exports, notices, pauses, services, zoning
from kiemdich.tracing.models import Case, CaseRequest, Notice, NoticeBatch

router = Router(tags=["tracing"], auth=PEOPLE_AUTH)


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PersonLookupIn(Schema):
    phone: str | None = None
    id_number: str | None = None
    qr: str | None = None


class CaseIn(Schema):
    person: PersonLookupIn
    confirmed_at: datetime
    onset_at: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    margin_minutes: int | None = None


class CaseUpdateIn(Schema):
    window_start: datetime | None = None
    window_end: datetime | None = None
    margin_minutes: int | None = None


class CaseOut(Schema):
    id: int
    person_id: int
    area_code: str | None
    confirmed_at: datetime
    onset_at: datetime | None
    window_start: datetime
    window_end: datetime
    margin_minutes: int
    status: str
    created_at: datetime
    closed_at: datetime | None


class ExposureVisitOut(Schema):
    visit_id: int
    person_id: int
    venue_id: int
    venue_name: str
    area_code: str
    area_name: str
    entered_at: datetime | None
    left_at: datetime | None
    exposure_start: datetime
    exposure_end: datetime
    entry_method: str
    exit_method: str


class OverlapOut(Schema):
    venue_id: int
    visit_id: int
    overlap_start: datetime
    overlap_end: datetime
    overlap_minutes: int


class CaseRequestOut(Schema):
    id: int
    status: str
    created_at: datetime
    decided_at: datetime | None
    case_id: int | None


class CaseRequestToDecideOut(CaseRequestOut):
    requested_by: str
    confirmed_at: datetime
    person: PersonShape


class CaseRequestsOut(Schema):
    mine: list[CaseRequestOut]
    to_decide: list[CaseRequestToDecideOut]


class ContactOut(Schema):
    person_id: int
    venue_id: int
    overlap_start: datetime
    overlap_end: datetime
    overlap_minutes: int
    exposures: list[OverlapOut]
    person: PersonShape | None = None


class ExposuresOut(Schema):
    case_id: int
    window_start: datetime
    window_end: datetime
    margin_minutes: int
    visits: list[ExposureVisitOut]
    contacts: list[ContactOut]
    # Contacts in the whole ranking (with `limit`/`cursor`, more than this page holds).
    contact_count: int
    # The `cursor` of the next page; null on the last page and without `limit`/`cursor`.
    next_cursor: str | None = None


class F2In(Schema):
    person_ids: list[int]


class RingOut(Schema):
    via_person_id: int
    contacts: list[ContactOut]


class F2Out(Schema):
    rings: list[RingOut]


class SiteOut(Schema):
    venue_id: int
    name: str
    latitude: float | None
    longitude: float | None
    first_exposure: datetime
    last_exposure: datetime
    contacts: int


class CommuneOut(Schema):
    area_code: str
    area_name: str
    sites: list[SiteOut]
    contacts: int


class ZonesOut(Schema):
    communes: list[CommuneOut]


class NoticeBatchIn(Schema):
    person_ids: list[int] | None = None
    send: bool = True


class NoticeBatchOut(Schema):
    id: int
    case_id: int
    size: int
    status: str
    needs_approval: bool
    created_at: datetime
    approved_at: datetime | None
    sent_at: datetime | None
    notices: int


class PauseIn(Schema):
    area_code: str | None = None
    reason: str = ""


class ResumeIn(Schema):
    reason: str = ""


class PauseOut(Schema):
    id: int
    area_code: str | None
    area_name: str
    reason: str
    paused_by: str
    paused_at: datetime
    active: bool
    resumed_by: str
    resumed_at: datetime | None


class SwitchOut(Schema):
    notices_enabled: bool
    pauses: list[PauseOut]


class NoticeOut(Schema):
    id: int
    person_id: int
    message: str
    advice: str
    venue_name: str
    exposed_from: datetime
    exposed_until: datetime
    sent_at: datetime
    read_at: datetime | None


def _request_out(made: CaseRequest) -> dict:
    return {"id": made.pk, "status": made.status, "created_at": made.created_at,
            "decided_at": made.decided_at, "case_id": made.case_id}


def _case_out(case: Case) -> dict:
    return {"id": case.pk, "person_id": case.person_id,
            "area_code": case.area.code if case.area is not None else None,
            "confirmed_at": case.confirmed_at, "onset_at": case.onset_at,
            "window_start": case.window_start, "window_end": case.window_end,
            "margin_minutes": case.margin_minutes, "status": case.status,
            "created_at": case.created_at, "closed_at": case.closed_at}


def contact_out(contact: engine.Contact, shapes: dict | None = None) -> dict:
    """A contact as `ContactOut`, rendered by `rendered` (moments already as JSON text)."""
    main = contact.main
    person = (shapes or {}).get(contact.person_id)
    return {"person_id": contact.person_id, "venue_id": main.venue_id,
            "overlap_start": json_time(main.start), "overlap_end": json_time(main.end),
            "overlap_minutes": contact.minutes,
            "exposures": [{"venue_id": o.venue_id, "visit_id": o.visit_id,
                           "overlap_start": json_time(o.start), "overlap_end": json_time(o.end),
                           "overlap_minutes": o.minutes} for o in contact.overlaps],
            "person": PersonShape.model_validate(person) if person is not None else None}


def visit_out(visit: engine.VisitRow, places: dict[int, engine.Place]) -> dict:
    """A visit as `ExposureVisitOut`, rendered by `rendered`."""
    place = places[visit.venue_id]
    return {"visit_id": visit.id, "person_id": visit.person_id, "venue_id": place.venue_id,
            "venue_name": place.name, "area_code": place.area_code,
            "area_name": place.area_name, "entered_at": json_time(visit.entered_at),
            "left_at": json_time(visit.left_at), "exposure_start": json_time(visit.start),
            "exposure_end": json_time(visit.end), "entry_method": visit.entry_method,
            "exit_method": visit.exit_method}


def _batch_out(batch: NoticeBatch) -> dict:
    return {"id": batch.pk, "case_id": batch.case_id, "size": batch.size,
            "status": batch.status, "needs_approval": batch.needs_approval,
            "created_at": batch.created_at, "approved_at": batch.approved_at,
            "sent_at": batch.sent_at, "notices": batch.notices.count()}


def _case(request: HttpRequest, case_id: int) -> Case:
    return services.get_case(scope_of(request), case_id)


@router.post("/cases", response={201: CaseOut, 202: CaseRequestOut, **ERRORS})
@rate_limited("case-register", per_user=60, window=3600)
def register_case(request: AuthedRequest, payload: CaseIn) -> Status:
    """Register an F0 found by phone, ID number or the text of any QR the scanner reads.
    For a person of the officer's area the case opens (201). For anyone else — or a phone,
    number or code the platform does not know — the answer is the same 202 with a pending
    request: a health officer of the person's area decides, and the platform's knowledge of
    a phone is never told."""
    terms = payload.dict(exclude={"person"})
    made = services.register_or_request(request.user, scope_of(request),
                                        payload.person.dict(), **terms)
    if isinstance(made, CaseRequest):
        return Status(202, _request_out(made))
    return Status(201, _case_out(made))


@router.get("/case-requests", response={200: CaseRequestsOut, 403: ErrorOut})
def list_case_requests(request: AuthedRequest) -> dict:
    """`mine`: this officer's requests, as they stand (nothing about the person);
    `to_decide`: pending requests about people of this officer's area, with who they are
    (each view audited)."""
    scope = scope_of(request)
    to_decide = list(services.requests_to_decide(scope)[:200])
    people = {r.pk: shape_for_officer(services.person_to_decide(r), request.user, scope,
                                      reason=f"case request={r.pk}") for r in to_decide}
    return {"mine": [_request_out(r) for r in services.my_requests(request.user)[:200]],
            "to_decide": [{**_request_out(r), "requested_by": pauses.officer_label(
                r.requested_by), "confirmed_at": r.confirmed_at, "person": people[r.pk]}
                for r in to_decide]}


@router.post("/case-requests/{request_id}/approve", response={200: CaseRequestOut, **ERRORS})
def approve_case_request(request: AuthedRequest, request_id: int) -> dict:
    """A health officer of the person's area opens the case; its requester then sees it."""
    return _request_out(services.decide_request(request.user, scope_of(request), request_id,
                                                approve=True))


@router.post("/case-requests/{request_id}/refuse", response={200: CaseRequestOut, **ERRORS})
def refuse_case_request(request: AuthedRequest, request_id: int) -> dict:
    return _request_out(services.decide_request(request.user, scope_of(request), request_id,
                                                approve=False))


@router.get("/cases", response={200: list[CaseOut], 403: ErrorOut})
def list_cases(request: AuthedRequest, status: str = "") -> list[dict]:
    """Cases this health officer registered or whose F0 lives in their area (admins: all)."""
    return [_case_out(c) for c in services.list_cases(request.user, scope_of(request), status)]


@router.get("/cases/{case_id}", response={200: CaseOut, 404: ErrorOut})
def get_case(request: AuthedRequest, case_id: int) -> dict:
    return _case_out(services.view_case(request.user, scope_of(request), case_id))


@router.patch("/cases/{case_id}", response={200: CaseOut, **ERRORS})
def update_case(request: AuthedRequest, case_id: int, payload: CaseUpdateIn) -> dict:
    """Edit the look-back window or the margin (validated against TRACING_MAX_WINDOW_DAYS)."""
    case = _case(request, case_id)
    return _case_out(services.update_case(request.user, scope_of(request), case,
                                          **payload.dict()))


@router.post("/cases/{case_id}/close", response={200: CaseOut, **ERRORS})
def close_case(request: AuthedRequest, case_id: int) -> dict:
    return _case_out(services.close_case(request.user, _case(request, case_id)))


@router.get("/cases/{case_id}/exposures",
            response={200: ExposuresOut, 400: ErrorOut, 404: ErrorOut})
def case_exposures(request: AuthedRequest, case_id: int, include_people: bool = False,
                   limit: str | None = Query(None, description=(
                       f"Contacts per page, 1–{services.PAGE_LIMIT_MAX} (with a cursor and "
                       f"no limit: {services.PAGE_LIMIT_DEFAULT}). Without limit and cursor: "
                       "every contact.")),
                   cursor: str | None = Query(None, description=(
                       "The `next_cursor` of the previous page: the contacts ranked after "
                       "its last one."))) -> HttpResponse:
    """The F0's visits in the window and the contacts ranked by overlap minutes (longest
    first, then the earliest first overlap, then the person id). `limit` and `cursor` page
    the ranking (the answer carries `next_cursor`, null on the last page; `contact_count`
    is the whole ranking's): reading every page gives every contact once, in order. A
    malformed `limit` or `cursor` is 400 `limit_invalid` / `cursor_invalid`.
    `include_people=true` adds each contact's full personal data (every view audited)."""
    case = _case(request, case_id)
    size = services.page_limit(limit, cursor_given=bool(cursor))
    exp: services.Exposures | services.ExposurePage
    if size is None:
        exp = services.exposures(request.user, case)
        count, next_cursor = len(exp.contacts), None
    else:
        exp = services.exposures_page(request.user, case, limit=size, cursor=cursor)
        count, next_cursor = exp.total, exp.next_cursor
    shapes = (services.shapes_for(request.user, scope_of(request), case,
                                  [c.person_id for c in exp.contacts])
              if include_people else None)
    # Thousands of contacts and their overlaps: rendered without the schema's round trip.
    return rendered({"case_id": case.pk, "window_start": json_time(case.window_start),
                     "window_end": json_time(case.window_end),
                     "margin_minutes": case.margin_minutes,
                     "visits": [visit_out(v, exp.places) for v in exp.visits],
                     "contacts": [contact_out(c, shapes) for c in exp.contacts],
                     "contact_count": count, "next_cursor": next_cursor})


@router.post("/cases/{case_id}/f2", response={200: F2Out, **ERRORS})
def expand_f2(request: AuthedRequest, case_id: int, payload: F2In) -> HttpResponse:
    """Contacts of the chosen contacts, from their first exposure on."""
    rings = services.expand_f2(request.user, _case(request, case_id), payload.person_ids)
    return rendered({"rings": [{"via_person_id": r.via.person_id,
                                "contacts": [contact_out(c) for c in r.contacts]}
                               for r in rings]})


@router.get("/cases/{case_id}/zones", response={200: ZonesOut, 404: ErrorOut})
def case_zones(request: AuthedRequest, case_id: int) -> dict:
    """Exposure sites and contacts per commune and venue."""
    exp = services.exposures(request.user, _case(request, case_id))
    return {"communes": [
        {"area_code": c.area_code, "area_name": c.area_name, "contacts": len(c.contacts),
         "sites": [{"venue_id": s.venue_id, "name": s.name, "latitude": s.latitude,
                    "longitude": s.longitude, "first_exposure": s.first_exposure,
                    "last_exposure": s.last_exposure, "contacts": len(s.contacts)}
                   for s in c.sites]}
        for c in zoning.summary(exp)]}


@router.get("/cases/{case_id}/map.svg", response={200: None, 404: ErrorOut})
def case_map(request: AuthedRequest, case_id: int) -> HttpResponse:
    """The exposure sites on a map drawn without tiles (image/svg+xml)."""
    exp = services.exposures(request.user, _case(request, case_id))
    return HttpResponse(zoning.map_svg(zoning.summary(exp)), content_type="image/svg+xml")


class CaseExportIn(Schema):
    format: str = "pdf"  # pdf (to print and sign) or xlsx (the contacts, to work on)


@router.post("/cases/{case_id}/exports", response={202: TaskOut, **ERRORS})
@rate_limited("case-export", per_user=30, window=3600)
def export_case(request: AuthedRequest, case_id: int, payload: CaseExportIn) -> Status:
    """The case's report for the health department as a long task: 202 with the task
    (follow it at `GET /api/v1/tasks/{id}`, download `download_url` once done). The export is
    logged when made, and each download. 422 `format_invalid` for a format other than pdf
    or xlsx."""
    task = exports.start_case_report(request.user, _case(request, case_id), payload.format)
    return Status(202, task_out(task))


@router.get("/cases/{case_id}/notice-batches", response={200: list[NoticeBatchOut], 404: ErrorOut})
def list_batches(request: AuthedRequest, case_id: int) -> list[dict]:
    return [_batch_out(b) for b in _case(request, case_id).batches.all()]


@router.post("/cases/{case_id}/notice-batches", response={201: NoticeBatchOut, **ERRORS})
@rate_limited("notice-batch", per_user=30, window=3600)
def create_batch(request: AuthedRequest, case_id: int, payload: NoticeBatchIn) -> Status:
    """Warn contacts (all, or `person_ids`) in the app and by SMS. When the notices sent in
    the last 24 hours for this case, or in this officer's batches, would pass
    TRACING_NOTICE_APPROVAL_THRESHOLD with this batch, it waits (status `pending`) for a
    second health officer, however the contacts are split into batches."""
    batch = notices.create_batch(request.user, scope_of(request), _case(request, case_id),
                                 payload.person_ids, send=payload.send)
    return Status(201, _batch_out(batch))


@router.post("/notice-batches/{batch_id}/approve", response={200: NoticeBatchOut, **ERRORS})
@rate_limited("notice-approve", per_user=60, window=3600)
def approve_batch(request: AuthedRequest, batch_id: int) -> dict:
    """A second health officer approves (and thereby sends) a large batch."""
    scope = scope_of(request)
    batch = notices.get_batch(scope, batch_id)
    return _batch_out(notices.approve_batch(request.user, scope, batch))


@router.post("/notice-batches/{batch_id}/send", response={200: NoticeBatchOut, **ERRORS})
@rate_limited("notice-send", per_user=60, window=3600)
def send_batch(request: AuthedRequest, batch_id: int) -> dict:
    """Send a batch made with `send: false`. The rolling day is counted again: a batch that
    would now pass the threshold answers `pending` and waits for a second officer."""
    scope = scope_of(request)
    batch = notices.get_batch(scope, batch_id)
    return _batch_out(notices.send_batch(request.user, scope, batch))


@router.get("/tracing/settings", response={200: SwitchOut, 403: ErrorOut})
def get_switch(request: AuthedRequest) -> dict:
    """The pauses in force that affect this health officer's area (of the country, above,
    at or inside it), with who paused, when and why; `notices_enabled` is false while any
    does."""
    in_force = pauses.pauses_for(scope_of(request))
    return {"notices_enabled": not in_force, "pauses": [pauses.describe(p) for p in in_force]}


@router.post("/tracing/pauses", response={201: PauseOut, **ERRORS})
@rate_limited("notice-pause", per_user=30, window=3600)
def pause_notices(request: AuthedRequest, payload: PauseIn) -> Status:
    """Stop exposure notices in an area the officer covers (no `area_code`: the whole
    country, admins only), with a reason. Notices to people living in it, or exposed at a
    venue in it or below it, are refused (409 `notices_paused`) until another officer
    resumes them."""
    area = resolve_area(payload.area_code) if payload.area_code else None
    paused = pauses.pause(request.user, scope_of(request), area, payload.reason)
    return Status(201, pauses.describe(paused))


@router.post("/tracing/pauses/{pause_id}/resume", response={200: PauseOut, **ERRORS})
@rate_limited("notice-pause", per_user=30, window=3600)
def resume_notices(request: AuthedRequest, pause_id: int, payload: ResumeIn) -> dict:
    """Turn notices back on: a health officer covering the area other than the one who
    paused them (403 `self_resume`)."""
    return pauses.describe(pauses.resume(request.user, scope_of(request), pause_id,
                                         payload.reason))


@router.get("/me/notices", response=list[NoticeOut])
def my_notices(request: AuthedRequest) -> list[dict]:
    """Exposure notices for the people this account manages."""
    return [_notice_out(n) for n in notices.notices_for(request.user)[:100]]


@router.post("/me/notices/{notice_id}/read", response=NoticeOut)
def read_notice(request: AuthedRequest, notice_id: int) -> dict:
    """Acknowledge an exposure notice: the health station sees who has read theirs."""
    return _notice_out(notices.mark_read(request.user, notice_id))


def _notice_out(notice: Notice) -> dict:
    return {"id": notice.pk, "person_id": notice.person_id, "message": notices.message(notice),
            "advice": notices.advice(), "venue_name": notice.venue.name,
            "exposed_from": notice.exposed_from, "exposed_until": notice.exposed_until,
            "sent_at": notice.sent_at, "read_at": notice.read_at}
