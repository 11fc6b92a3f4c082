"""Scans by staff and readers (one, or an offline batch), the live feed, self check-in from
the poster, and the histories. Thin: parse, call one service, answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ValidationError as PydanticError
from pydantic import field_validator, model_validator

from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.ratelimit import caller_allowance, rate_limited, refusal
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.core.audit import record
from kiemdich.core.errors import DomainError
from kiemdich.core.schemas import ErrorOut, LineText, PersonShape
from kiemdich.scans import services
from kiemdich.scans.access import Scanner, scanning_venue
from kiemdich.scans.live import event_stream, viewer_check
from kiemdich.venues.auth import SCANNER_AUTH
from kiemdich.venues.services import enroll_kiosk, owner_venue

if TYPE_CHECKING:
    from kiemdich.venues.models import Venue

router = Router(tags=["scans"])

ERRORS = {404: ErrorOut, 409: ErrorOut, 410: ErrorOut, 422: ErrorOut}
LIVE_ERRORS = {**ERRORS, 503: ErrorOut}


class ScanIn(Schema):
    """A code read from a QR, or — for people without one — a phone or ID number typed."""

    code: str | None = Field(None, description="The raw text read from the QR code.")
    phone: LineText | None = Field(None, max_length=32)
    id_number: LineText | None = Field(None, max_length=32)
    full_name: LineText | None = Field(None, max_length=services.MAX_NAME_CHARS,
                                  description="For a person entered by hand the first time.")
    direction: Literal["in", "out"]
    scanned_at: datetime | None = Field(None, description="When it was scanned (offline "
                                        "queues); default: when received.")
    nonce: str | None = Field(None, min_length=1, max_length=64,
                              pattern=r"^[A-Za-z0-9._:\-]+$",
                              description="The client's id for this scan: retries are safe.")

    @field_validator("full_name", "phone", "id_number")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _one_identity(self) -> ScanIn:
        given = [name for name in ("code", "phone", "id_number") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(_("Cần gửi đúng một trong code, phone, id_number."))
        return self

    def as_input(self) -> services.ScanInput:
        return services.ScanInput(direction=self.direction, code=self.code, phone=self.phone,
                                  id_number=self.id_number, full_name=self.full_name or None,
                                  scanned_at=self.scanned_at, nonce=self.nonce)


class ScanOut(Schema):
    result: Literal["ok"]
    scan_id: int
    person: PersonShape
    declared_today: bool
    has_symptoms: bool
    declaration: Literal["declared", "not_declared", "symptoms"] = Field(
        description="Today's health declaration in one word, what a screen colours by")
    direction: str
    scanned_at: datetime
    code_format: str
    visit: str = Field(description="opened, closed, exit_only, repeat or rederived")


class BatchIn(Schema):
    scans: list[dict[str, Any]] = Field(
        max_length=services.MAX_BATCH,
        description="Items shaped like the body of POST /venues/{id}/scans; each is checked "
                    "on its own, so one bad item does not refuse the others.")


class BatchItemOut(Schema):
    index: int
    nonce: str | None
    status: int
    body: dict[str, Any]


class BatchOut(Schema):
    results: list[BatchItemOut]


class DecodedOut(Schema):
    text: str


class CheckinIn(Schema):
    venue_code: str = Field(max_length=64)
    person_ids: list[int] = Field(max_length=20)
    direction: Literal["in", "out"]
    # Where the phone was, when the app may tell: a check-in far from the venue is flagged
    # (a photographed poster used remotely). Never stored with the scan.
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class CheckinScanOut(Schema):
    scan_id: int
    person_id: int
    display_name: str
    visit: str
    declaration: Literal["declared", "not_declared", "symptoms"]


class VenueRef(Schema):
    id: int
    name: str


class CheckinOut(Schema):
    venue: VenueRef
    direction: str
    at: datetime
    colour: int = Field(description="Today's colour (0–11) shown on the confirmation.")
    scans: list[CheckinScanOut]


class MyCheckinOut(Schema):
    scan_id: int
    venue_id: int
    venue_name: str
    person_id: int
    person_name: str
    direction: str
    method: str
    at: datetime


class VisitOut(Schema):
    visit_id: int
    person: PersonShape
    entered_at: datetime | None
    left_at: datetime | None
    closes_at: datetime
    entry_method: str
    exit_method: str


@router.post("/venues/{venue_id}/scans", auth=SCANNER_AUTH,
             response={200: ScanOut, 201: ScanOut, **ERRORS})
@rate_limited("scan", per_user="SCAN_RATE_PER_MINUTE")
def scan(request: HttpRequest, venue_id: int, payload: ScanIn) -> Status:
    """A staff phone or a dedicated reader scanned a person. 201 when stored; 200 with the
    first answer for a repeated nonce; 422 (still recorded) for a refused code."""
    venue, scanner = scanning_venue(request, venue_id)
    outcome = services.ingest(venue, scanner, payload.as_input())
    return Status(outcome.status, outcome.body)


def _item(raw: dict[str, Any]) -> services.ScanInput | dict[str, Any]:
    try:
        return ScanIn.model_validate(raw).as_input()
    except PydanticError as exc:
        # One item of a batch malformed: its own answer in the list, the others still stored.
        errors = exc.errors()
        message = str(errors[0]["msg"]) if errors else "invalid"
        return {"error": {"code": "invalid", "message": message}}


@router.post("/venues/{venue_id}/scans/batch", auth=SCANNER_AUTH,
             response={200: BatchOut, **ERRORS, 429: ErrorOut})
@rate_limited("scan-batch", per_user=60)
def scan_batch(request: HttpRequest, venue_id: int, payload: BatchIn) -> dict:
    """An offline queue uploaded at once: one result per item, in order.

    Every valid item counts against the same per-caller limit as a single scan
    (`SCAN_RATE_PER_MINUTE`). The items the allowance covers, first ones first, are stored;
    each item beyond it answers `status` 429 `rate_limited` with `retry_after` (seconds) in
    its result and is not stored — send it again, with its nonce, after that wait. When the
    allowance is used up before the first item, the whole request answers 429 with
    `Retry-After`."""
    venue, scanner = scanning_venue(request, venue_id)
    items = [_item(raw) for raw in payload.scans]
    valid = [item for item in items if isinstance(item, services.ScanInput)]
    allowance = caller_allowance(request, "scan", "SCAN_RATE_PER_MINUTE", len(valid))
    if valid and not allowance.granted:
        raise refusal(allowance.retry_after)
    stored = iter(services.ingest_batch(venue, scanner, valid[:allowance.granted]))
    wait = allowance.retry_after
    over = {"error": {**refusal(wait).as_dict()["error"], "retry_after": wait}}
    results, taken = [], 0
    for index, item in enumerate(items):
        if not isinstance(item, services.ScanInput):
            results.append({"index": index, "nonce": _nonce(payload.scans[index]),
                            "status": 422, "body": item})
        elif taken < allowance.granted:
            taken += 1
            results.append({**next(stored), "index": index})
        else:
            results.append({"index": index, "nonce": item.nonce, "status": 429, "body": over})
    return {"results": results}


def _nonce(raw: dict[str, Any]) -> str | None:
    return raw.get("nonce") if isinstance(raw.get("nonce"), str) else None


class KioskIn(Schema):
    previous_token: str | None = Field(
        None, max_length=200, description="This phone's last kiosk token at the venue, if "
                                          "any: it is revoked (one kiosk a phone).")


class KioskOut(Schema):
    id: int
    name: str
    token: str = Field(description="Send as `Authorization: Device <token>`; shown once.")
    expires_at: datetime


@router.post("/venues/{venue_id}/kiosk", auth=PEOPLE_AUTH,
             response={201: KioskOut, **ERRORS})
@rate_limited("venue-kiosk", per_user=30, window=3600)
def kiosk_enroll(request: AuthedRequest, venue_id: int, payload: KioskIn | None = None) -> Status:
    """Staff (or the owner) sign this phone in as the venue's kiosk for one shift: a device
    token, listed with the venue's readers and revocable by the owner, so that the kiosk
    keeps scanning whatever happens to the portal session. 401 with `reason`
    `device_expired` on a scan tells the kiosk to sign in again, `device_revoked` to stop."""
    venue, scanner = scanning_venue(request, venue_id)
    assert scanner.user is not None  # PEOPLE_AUTH: a person, never a reader
    device, token = enroll_kiosk(venue, scanner.user,
                                 payload.previous_token if payload is not None else None)
    return Status(201, {"id": device.pk, "name": device.name, "token": token,
                        "expires_at": device.expires_at})


@router.post("/venues/{venue_id}/scans/decode-photo", auth=SCANNER_AUTH,
             response={200: DecodedOut, **ERRORS, 413: ErrorOut, 503: ErrorOut})
@rate_limited("scan-photo", per_user=60)
def decode_photo(request: HttpRequest, venue_id: int, photo: File[UploadedFile]) -> dict:
    """For cameras without a barcode reader in the browser: the text of the QR in a photo
    (JPEG, PNG or WebP). 413 `photo_too_large` for a picture of more pixels than the server
    decodes; 503 `photo_decoder_busy` with `Retry-After` while it decodes other photos."""
    scanning_venue(request, venue_id)
    return {"text": services.decode_photo(photo.read())}


def _watch(request: HttpRequest, venue_id: int) -> tuple[Venue, Scanner]:
    venue, scanner = scanning_venue(request, venue_id)
    if venue.is_special:
        record(scanner.actor, "view_live_full", target=venue, reason="live feed")
    return venue, scanner


@router.get("/venues/{venue_id}/live", auth=SCANNER_AUTH, response={200: None, **LIVE_ERRORS},
            openapi_extra={"responses": {200: {
                "description": "text/event-stream: `event: ready` once listening, `event: "
                               "scan`, `data:` {person, direction, at, visit, …}; a comment "
                               "every 15 s; `event: lost` while the server's own subscription "
                               "is down (then `ready` again); `event: revoked` and the end of "
                               "the stream once the viewer may no longer watch.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}}}}})
async def live(request: HttpRequest, venue_id: int) -> StreamingHttpResponse:
    """Entries and exits at the venue as Server-Sent Events, people masked for the venue."""
    if not isinstance(request, ASGIRequest):
        # A WSGI server would buffer the endless stream in memory and never answer.
        raise DomainError(
            code="live_needs_asgi", status=503)
    venue, scanner = await sync_to_async(_watch)(request, venue_id)
    # Authorised again while it streams: it ends within seconds of a revocation.
    may_watch = viewer_check(venue.pk, scanner, getattr(request, "api_token", None))
    response = StreamingHttpResponse(event_stream(venue.pk, may_watch),
                                     content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@router.post("/checkins", auth=PEOPLE_AUTH, response={201: CheckinOut, **ERRORS})
@rate_limited("self-checkin", per_user=60, window=60)
def checkin(request: AuthedRequest, payload: CheckinIn) -> Status:
    """The visitor scanned the poster: check in or out oneself and family members."""
    latitude, longitude = payload.latitude, payload.longitude
    location = (latitude, longitude) if latitude is not None and longitude is not None else None
    result = services.self_checkin(request.user, payload.venue_code, payload.person_ids,
                                   payload.direction, location=location)
    return Status(201, result)


@router.get("/me/checkins", auth=PEOPLE_AUTH, response=list[MyCheckinOut])
def my_checkins(request: AuthedRequest) -> list[dict[str, Any]]:
    """The account's own check-ins (itself and the people it manages), newest first."""
    return services.checkins_of(request.user)


@router.get("/venues/{venue_id}/visits", auth=PEOPLE_AUTH,
            response={200: list[VisitOut], **ERRORS})
def venue_visits(request: AuthedRequest, venue_id: int, day: date | None = None
                 ) -> list[dict[str, Any]]:
    """The owner's view of a day's visits, people masked as the venue may see them."""
    venue = owner_venue(request.user, venue_id)
    return services.venue_visits(venue, request.user, day or timezone.localdate())
