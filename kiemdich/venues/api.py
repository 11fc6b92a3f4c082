"""Venues in the public API: registration, posters, staff phones, readers, special status and
the officers' directory. Thin: each endpoint parses, calls one service, shapes the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.models import User
from kiemdich.accounts.phones import national_form
from kiemdich.accounts.ratelimit import rate_limited
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import scope_of
from kiemdich.core.exports import export_response
from kiemdich.core.schemas import ErrorOut
from kiemdich.people import services as people_services
from kiemdich.venues import services
from kiemdich.venues.auth import SCANNER_AUTH, device_auth
from kiemdich.venues.models import Device, Venue

router = Router(tags=["venues"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class RevokedOut(Schema):
    serial: int
    revoked_at: datetime
    expires_at: datetime


class KeyOut(Schema):
    kid: str
    alg: str
    public_key: str = Field(description="standard base64 of the raw 32-byte Ed25519 key")


class RevocationsOut(Schema):
    generated_at: datetime
    revoked: list[RevokedOut]
    keys: list[KeyOut]


class DeviceRequest(HttpRequest):
    """Behind `device_auth`: the reader whose token it is (see kiemdich.accounts.requests)."""

    auth: Device


class ScannerRequest(HttpRequest):
    """Behind `SCANNER_AUTH`: a reader, or a signed-in person."""

    auth: Device | User


class VenueIn(Schema):
    name: str
    venue_type: str = Field(description="A key of GET /api/v1/venue-types; fixes the sector.")
    area_code: str = Field(description="The commune or ward's official code.")
    street: str = Field("", description="House number and street; optional for vehicles.")
    latitude: float | None = None
    longitude: float | None = None
    business_reg_no: str = ""
    contact_phone: str = ""
    default_stay_minutes: int | None = Field(None, description="Default: by venue type.")
    opening_hours: str = ""
    vehicle_plate: str = Field("", description="Required for bus, coach and ferry.")
    vehicle_route: str = Field("", description="Required for bus, coach and ferry.")


class VenuePatch(Schema):
    name: str | None = None
    venue_type: str | None = None
    area_code: str | None = None
    street: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    business_reg_no: str | None = None
    contact_phone: str | None = None
    default_stay_minutes: int | None = None
    opening_hours: str | None = None
    vehicle_plate: str | None = None
    vehicle_route: str | None = None
    status: Literal["active", "closed"] | None = None


class VenueOut(Schema):
    id: int
    code: str
    checkin_url: str
    poster_pdf_url: str
    poster_png_url: str
    name: str
    venue_type: str
    venue_type_label: str
    sector: str
    area_code: str
    area_name: str
    address: str
    street: str
    latitude: float | None
    longitude: float | None
    business_reg_no: str
    contact_phone: str
    default_stay_minutes: int
    opening_hours: str
    vehicle_plate: str
    vehicle_route: str
    status: str
    is_special: bool
    created_at: datetime


class VenueBriefOut(Schema):
    id: int
    name: str
    venue_type: str
    address: str
    status: str


class VenueTypeOut(Schema):
    key: str
    sector: str
    label: str
    sector_label: str
    default_stay_minutes: int
    is_vehicle: bool


class StaffIn(Schema):
    phone: str


class StaffOut(Schema):
    phone: str
    created_at: datetime


class StaffAddedOut(StaffOut):
    invited: bool = Field(description="Whether the invitation SMS was sent: not when the "
                          "owner or the phone had their day's invitations; then tell the "
                          "person directly.")


class DeviceIn(Schema):
    name: str


class DeviceCreatedOut(Schema):
    id: int
    name: str
    token: str = Field(description="Shown this once; only its hash is kept.")


class DeviceOut(Schema):
    id: int
    name: str
    kind: str = Field(description="reader (a dedicated reader) or kiosk (a staff phone "
                                  "signed in for a shift)")
    created_at: datetime
    expires_at: datetime | None = Field(description="a kiosk's end of shift")
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class DeviceSelfOut(Schema):
    id: int
    name: str
    venue: VenueBriefOut


class SpecialIn(Schema):
    reason: str = Field("", max_length=500)
    # Older clients revoked with `{"special": false}`; it still revokes rather than being
    # ignored (which would grant). New clients revoke with DELETE.
    special: bool = Field(True, description="false revokes, as DELETE does")


class SpecialOut(Schema):
    id: int
    is_special: bool
    special_reason: str


class DirectoryQuery(Schema):
    sector: str = ""
    venue_type: str = ""
    area: str = Field("", description="Any area code within the officer's reach.")
    status: str = ""
    special: str = Field("", description="true / false")
    q: str = Field("", description="Name, street, plate, code or business number.")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class DirectoryRowOut(Schema):
    id: int
    code: str
    name: str
    venue_type: str
    sector: str
    area_code: str
    area_name: str
    street: str
    vehicle_plate: str
    status: str
    is_special: bool
    created_at: datetime


class DirectoryOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[DirectoryRowOut]


def _venue_out(venue: Venue, labels: dict[int, str]) -> dict:
    api_base = f"{settings.PUBLIC_BASE_URL}/api/v1/venues/{venue.pk}"
    return {
        **{f: getattr(venue, f) for f in (
            "id", "code", "checkin_url", "name", "venue_type", "sector", "street", "latitude",
            "longitude", "business_reg_no", "default_stay_minutes", "opening_hours",
            "vehicle_plate", "vehicle_route", "status", "is_special", "created_at")},
        "poster_pdf_url": f"{api_base}/poster.pdf",
        "poster_png_url": f"{api_base}/poster.png",
        "venue_type_label": venue.get_venue_type_display(),
        "area_code": venue.area.code,
        "area_name": venue.area.name,
        "address": services.address_line(venue, labels),
        "contact_phone": national_form(venue.contact_phone) if venue.contact_phone else "",
    }


def _brief(venue: Venue, labels: dict[int, str]) -> dict:
    return {"id": venue.pk, "name": venue.name, "venue_type": venue.venue_type,
            "address": services.address_line(venue, labels), "status": venue.status}


def _one(venue: Venue) -> dict:
    return _venue_out(venue, services.area_labels([venue.area]))


def _file(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.get("/venue-types", response=list[VenueTypeOut], auth=None)
def venue_types(request: HttpRequest) -> list[dict]:
    """Venue types with their sector and labels in the caller's language."""
    return services.venue_types()


@router.post("/venues", response={201: VenueOut, **ERRORS}, auth=PEOPLE_AUTH)
@rate_limited("venue-register", per_ip=300, per_user=200, window=3600)
def register(request: AuthedRequest, payload: VenueIn) -> Status:
    """Register a place; answers its code and where its posters are."""
    return Status(201, _one(services.register_venue(request.auth, payload.dict())))


@router.get("/venues", response=list[VenueOut], auth=PEOPLE_AUTH)
def my_venues(request: AuthedRequest) -> list[dict]:
    """The caller's own places."""
    venues = list(services.owned_venues(request.auth))
    labels = services.area_labels(v.area for v in venues)
    return [_venue_out(v, labels) for v in venues]


@router.get("/venues/staffed", response=list[VenueBriefOut], auth=PEOPLE_AUTH)
def staffed(request: AuthedRequest) -> list[dict]:
    """The places where the caller's phone is authorised to scan."""
    venues = list(services.staffed_venues(request.auth))
    labels = services.area_labels(v.area for v in venues)
    return [_brief(v, labels) for v in venues]


@router.get("/device", response={200: DeviceSelfOut, 401: ErrorOut}, auth=device_auth)
def device_self(request: DeviceRequest) -> dict:
    """A dedicated reader asks which venue it acts for."""
    device = request.auth
    return {"id": device.pk, "name": device.name, "venue": _brief(
        device.venue, services.area_labels([device.venue.area]))}


@router.get("/venues/directory", response={200: DirectoryOut, **ERRORS}, auth=PEOPLE_AUTH)
def directory(request: AuthedRequest, filters: Query[DirectoryQuery]) -> dict:
    """Officers: the venues of their area (and sector), filtered and paginated."""
    qs = services.directory(scope_of(request), services.directory_filters(filters.dict()))
    start = (filters.page - 1) * filters.page_size
    rows = [{**{f: getattr(v, f) for f in (
                "id", "code", "name", "venue_type", "sector", "street", "vehicle_plate",
                "status", "is_special", "created_at")},
             "area_code": v.area.code, "area_name": v.area.name}
            for v in qs[start:start + filters.page_size]]
    return {"count": qs.count(), "page": filters.page, "page_size": filters.page_size,
            "results": rows}


@router.get("/venues/directory/export", response={200: None, **ERRORS}, auth=PEOPLE_AUTH,
            openapi_extra={"responses": {200: {"description": "CSV or XLSX", "content": {
                "text/csv": {}, "application/vnd.openxmlformats-officedocument"
                                ".spreadsheetml.sheet": {}}}}})
@rate_limited("venue-directory-export", per_user=30, window=3600)
def directory_export(request: AuthedRequest, filters: Query[DirectoryQuery],
                     format: Literal["csv", "xlsx"] = "csv") -> HttpResponse:
    """The filtered directory as a spreadsheet; formula-like cells are neutralised."""
    qs = services.directory(scope_of(request), services.directory_filters(filters.dict()))
    headers, rows = services.directory_rows(qs.iterator(chunk_size=2000))
    return export_response(format, "venues", headers, rows, title=_("Địa điểm"),
                           actor=request.auth)


@router.get("/venues/posters.pdf", response={200: None, **ERRORS}, auth=PEOPLE_AUTH,
            openapi_extra={"responses": {200: {"description": "PDF", "content": {
                "application/pdf": {}}}}})
def batch_posters(request: AuthedRequest, size: str = "A4") -> HttpResponse:
    """Posters of all the caller's active places in one PDF (size A4, A5 or A6)."""
    return _file(services.batch_posters_pdf(request.auth, size), "application/pdf",
                 "posters.pdf")


@router.get("/venues/{int:id}", response={200: VenueOut, **ERRORS}, auth=SCANNER_AUTH)
def venue_detail(request: ScannerRequest, id: int) -> dict:
    """One of the caller's places (a reader may read its own venue)."""
    if isinstance(request.auth, Device):
        return _one(services.device_venue(request.auth, id))
    return _one(services.owner_venue(request.auth, id))


@router.patch("/venues/{int:id}", response={200: VenueOut, **ERRORS}, auth=PEOPLE_AUTH)
def venue_update(request: AuthedRequest, id: int, payload: VenuePatch) -> dict:
    """Change some fields, or close (`status: closed`) and reopen the place."""
    venue = services.owner_venue(request.auth, id)
    return _one(services.update_venue(venue, request.auth, payload.dict(exclude_unset=True)))


@router.post("/venues/{int:id}/rotate", response={200: VenueOut, **ERRORS}, auth=PEOPLE_AUTH)
def rotate(request: AuthedRequest, id: int) -> dict:
    """A new code for a misused poster; the old code is refused from now on."""
    return _one(services.rotate_code(services.owner_venue(request.auth, id), request.auth))


@router.get("/venues/{int:id}/poster.pdf", response={200: None, **ERRORS}, auth=PEOPLE_AUTH,
            openapi_extra={"responses": {200: {"description": "PDF", "content": {
                "application/pdf": {}}}}})
def poster_pdf(request: AuthedRequest, id: int, size: str = "A4") -> HttpResponse:
    """The printable poster (size A4, A5 or A6)."""
    venue = services.owner_venue(request.auth, id)
    return _file(services.poster_pdf(venue, size), "application/pdf",
                 f"poster-{venue.code}-{size.upper()}.pdf")


@router.get("/venues/{int:id}/poster.png", response={200: None, **ERRORS}, auth=PEOPLE_AUTH,
            openapi_extra={"responses": {200: {"description": "PNG, A4 at 150 dpi",
                                               "content": {"image/png": {}}}}})
def poster_png(request: AuthedRequest, id: int) -> HttpResponse:
    """The A4 poster as an image at 150 dpi."""
    venue = services.owner_venue(request.auth, id)
    return _file(services.poster_png(venue), "image/png", f"poster-{venue.code}.png")


@router.get("/venues/{int:id}/staff", response={200: list[StaffOut], **ERRORS},
            auth=PEOPLE_AUTH)
def staff_list(request: AuthedRequest, id: int) -> list[dict]:
    venue = services.owner_venue(request.auth, id)
    return [{"phone": national_form(s.phone), "created_at": s.created_at}
            for s in services.list_staff(venue)]


@router.post("/venues/{int:id}/staff", response={201: StaffAddedOut, **ERRORS},
             auth=PEOPLE_AUTH)
@rate_limited("venue-staff-add", per_ip=300, per_user=60, window=3600)
def staff_add(request: AuthedRequest, id: int, payload: StaffIn) -> Status:
    """Authorise a phone to scan here; it gets an SMS invitation (`invited`)."""
    venue = services.owner_venue(request.auth, id)
    staff, invited = services.add_staff(venue, request.auth, payload.phone)
    return Status(201, {"phone": national_form(staff.phone), "created_at": staff.created_at,
                        "invited": invited})


@router.delete("/venues/{int:id}/staff/{phone}", response={204: None, **ERRORS},
               auth=PEOPLE_AUTH)
def staff_remove(request: AuthedRequest, id: int, phone: str) -> Status:
    services.remove_staff(services.owner_venue(request.auth, id), request.auth, phone)
    return Status(204, None)


@router.get("/venues/{int:id}/devices", response={200: list[DeviceOut], **ERRORS},
            auth=PEOPLE_AUTH)
def device_list(request: AuthedRequest, id: int) -> list[dict]:
    """The venue's readers with when each was last used."""
    venue = services.owner_venue(request.auth, id)
    return [{"id": d.pk, "name": d.name, "kind": d.kind, "created_at": d.created_at,
             "expires_at": d.expires_at, "last_used_at": d.last_used_at,
             "revoked_at": d.revoked_at, "active": services.device_active(d)}
            for d in services.list_devices(venue)]


@router.post("/venues/{int:id}/devices", response={201: DeviceCreatedOut, **ERRORS},
             auth=PEOPLE_AUTH)
@rate_limited("venue-device-add", per_user=60, window=3600)
def device_add(request: AuthedRequest, id: int, payload: DeviceIn) -> Status:
    """A reader token, shown once: configure the reader with `Authorization: Device <token>`."""
    device, token = services.add_device(services.owner_venue(request.auth, id), request.auth,
                                        payload.name)
    return Status(201, {"id": device.pk, "name": device.name, "token": token})


@router.delete("/venues/{int:id}/devices/{int:device_id}", response={204: None, **ERRORS},
               auth=PEOPLE_AUTH)
def device_revoke(request: AuthedRequest, id: int, device_id: int) -> Status:
    """Revoke a reader: its token answers 401 from now on."""
    services.revoke_device(services.owner_venue(request.auth, id), request.auth, device_id)
    return Status(204, None)


@router.post("/venues/{int:id}/special", response={200: SpecialOut, **ERRORS},
             auth=PEOPLE_AUTH)
def special(request: AuthedRequest, id: int, payload: SpecialIn | None = None) -> dict:
    """Officers covering the venue grant it full-data visibility; no body is needed, an
    optional `reason` is recorded with the grant."""
    payload = payload or SpecialIn.model_validate({})  # no body: the defaults
    venue = services.supervised_venue(request.auth, id)
    return _special_out(services.set_special(venue, request.auth, payload.special,
                                             payload.reason))


@router.delete("/venues/{int:id}/special", response={200: SpecialOut, **ERRORS},
               auth=PEOPLE_AUTH)
def revoke_special(request: AuthedRequest, id: int) -> dict:
    """Officers covering the venue revoke its full-data visibility."""
    venue = services.supervised_venue(request.auth, id)
    return _special_out(services.set_special(venue, request.auth, False))


def _special_out(venue: Venue) -> dict:
    return {"id": venue.pk, "is_special": venue.is_special,
            "special_reason": venue.special_reason}


@router.get("/qr/revocations", response=RevocationsOut, auth=SCANNER_AUTH)
def revocations(request: HttpRequest) -> dict[str, Any]:
    """For dedicated readers verifying offline: revoked card serials (until their cards
    expire) and the Ed25519 public keys by key id. (The cards are people's; the readers
    asking, and their authentication, are venues'.)"""
    return people_services.revocation_list()
