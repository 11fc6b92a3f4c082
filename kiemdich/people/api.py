"""People an account manages, their QR codes and cards, consent, and the
revocation list that dedicated readers download."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.ratelimit import rate_limited
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import scope_of
from kiemdich.core.masking import shape_for_officer
from kiemdich.core.schemas import ErrorOut, LineText, PersonShape
from kiemdich.people import services
from kiemdich.people.cards import card_pdf_for, pdf_response, qr_png
from kiemdich.people.declared import declared_today
from kiemdich.people.models import Credential, Person

router = Router(tags=["people"])

Gender = Literal["male", "female", "other", ""]
ERRORS = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PersonIn(Schema):
    full_name: LineText = Field(max_length=200)
    birth_date: date | None = None
    gender: Gender = ""
    id_number: LineText = Field("", max_length=40)
    phone: LineText = Field("", max_length=30)
    area_code: str = Field("", max_length=16)
    street: LineText = Field("", max_length=255)
    nationality: LineText = Field("VN", max_length=60)
    relationship: LineText = Field("", max_length=40)


class PersonPatch(Schema):
    full_name: LineText | None = Field(None, max_length=200)
    birth_date: date | None = None
    gender: Gender | None = None
    id_number: LineText | None = Field(None, max_length=40)
    phone: LineText | None = Field(None, max_length=30)
    area_code: str | None = Field(None, max_length=16)
    street: LineText | None = Field(None, max_length=255)
    nationality: LineText | None = Field(None, max_length=60)
    relationship: LineText | None = Field(None, max_length=40)


class PersonOut(Schema):
    id: int
    full_name: str
    birth_date: date | None
    gender: str
    id_number: str
    phone: str
    area_code: str
    area_name: str
    street: str
    nationality: str
    relationship: str
    is_self: bool
    declared_today: bool
    has_symptoms: bool


class QrOut(Schema):
    payload: str
    expires_at: datetime


class CardOut(Schema):
    serial: int
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class RevokeIn(Schema):
    reason: str = Field("lost", max_length=200)


class ConsentIn(Schema):
    version: str = Field(max_length=20)


class ConsentOut(Schema):
    required_version: str
    given: bool
    version: str | None = None
    given_at: datetime | None = None


def _out(people: Iterable[Person]) -> list[dict]:
    people = list(people)
    today = declared_today([p.pk for p in people])
    rows = []
    for person in people:
        declared, sick = today[person.pk]
        rows.append({**services.person_data(person), "declared_today": declared,
                     "has_symptoms": sick})
    return rows


@router.get("/people", response=list[PersonOut], auth=PEOPLE_AUTH)
def list_people(request: AuthedRequest) -> list[dict]:
    """The people this account manages: itself first, then dependants."""
    return _out(services.people_of(request.auth))


@router.post("/people", response={201: PersonOut, **ERRORS}, auth=PEOPLE_AUTH)
@rate_limited("people-add", per_ip=300, per_user=60, window=3600)
def add_person(request: AuthedRequest, payload: PersonIn) -> Status:
    """Add a dependant (a child, an elderly relative without a phone)."""
    person = services.add_dependant(request.auth, payload.dict())
    return Status(201, _out([person])[0])


@router.get("/people/search", response={200: list[PersonShape], **ERRORS},
            auth=PEOPLE_AUTH)
@rate_limited("people-search", per_user=300, window=3600)
def search_people(request: AuthedRequest, id_number: str = "", phone: str = "") -> list[dict]:
    """Health officers find a person of their area by ID number or phone (audited)."""
    scope = scope_of(request)
    found = services.search_people(scope, id_number=id_number, phone=phone)[:20]
    return [shape_for_officer(p, request.auth, scope, reason="person_search") for p in found]


@router.get("/people/{person_id}", response={200: PersonOut, 404: ErrorOut}, auth=PEOPLE_AUTH)
def get_person(request: AuthedRequest, person_id: int) -> dict:
    return _out([services.managed_person(request.auth, person_id)])[0]


@router.patch("/people/{person_id}", response={200: PersonOut, **ERRORS}, auth=PEOPLE_AUTH)
def patch_person(request: AuthedRequest, person_id: int, payload: PersonPatch) -> dict:
    """Change some fields of a person this account manages."""
    person = services.managed_person(request.auth, person_id)
    data = payload.dict(exclude_unset=True)
    return _out([services.update_person(request.auth, person, data)])[0]


@router.get("/people/{person_id}/qr", response={200: QrOut, 404: ErrorOut}, auth=PEOPLE_AUTH)
def person_qr(request: AuthedRequest, person_id: int) -> dict:
    """The in-app code (signed, opaque, valid until 04:00 after at least 12 hours)."""
    payload, expires_at = services.app_code(services.managed_person(request.auth, person_id))
    return {"payload": payload, "expires_at": expires_at}


@router.get("/people/{person_id}/qr.png", response={200: bytes, 404: ErrorOut},
            auth=PEOPLE_AUTH, openapi_extra={"responses": {200: {"content": {"image/png": {}}}}})
def person_qr_png(request: AuthedRequest, person_id: int) -> HttpResponse:
    payload, expires_at = services.app_code(services.managed_person(request.auth, person_id))
    response = HttpResponse(qr_png(payload), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Expires-At"] = expires_at.isoformat()
    return response


@router.get("/people/{person_id}/card.pdf", response={200: bytes, 404: ErrorOut},
            auth=PEOPLE_AUTH,
            openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}})
def person_card_pdf(request: AuthedRequest, person_id: int) -> HttpResponse:
    """A printable card: each call issues a new card with its own serial (revocable)."""
    person = services.managed_person(request.auth, person_id)
    return pdf_response(card_pdf_for(request.auth, person), f"the-qr-ca-nhan-{person.pk}.pdf")


@router.get("/people/{person_id}/cards", response={200: list[CardOut], 404: ErrorOut},
            auth=PEOPLE_AUTH)
def person_cards(request: AuthedRequest, person_id: int) -> QuerySet[Credential]:
    return services.cards_of(services.managed_person(request.auth, person_id))


@router.post("/people/{person_id}/cards/{serial}/revoke",
             response={200: CardOut, **ERRORS}, auth=PEOPLE_AUTH)
def revoke_card(request: AuthedRequest, person_id: int, serial: int,
                payload: RevokeIn | None = None) -> Credential:
    """Revoke a printed card (lost, stolen): it joins the revocation list at once."""
    person = services.managed_person(request.auth, person_id)
    return services.revoke_card(request.auth, person, serial,
                                payload.reason if payload else "lost")


@router.get("/consent", response=ConsentOut, auth=PEOPLE_AUTH)
def consent_status(request: AuthedRequest) -> dict:
    consent = services.current_consent(request.auth)
    return {"required_version": services.CONSENT_VERSION, "given": consent is not None,
            "version": consent.version if consent else None,
            "given_at": consent.given_at if consent else None}


@router.post("/consent", response={201: ConsentOut, 422: ErrorOut}, auth=PEOPLE_AUTH)
def give_consent(request: AuthedRequest, payload: ConsentIn) -> Status:
    """Consent to the processing described by the text of `version` (needed to declare)."""
    consent = services.give_consent(request.auth, payload.version)
    return Status(201, {"required_version": services.CONSENT_VERSION, "given": True,
                        "version": consent.version, "given_at": consent.given_at})

