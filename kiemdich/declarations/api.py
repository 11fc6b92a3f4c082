"""Health declarations for oneself or a dependant, and the health officers' alert queue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Router, Schema, Status

from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.ratelimit import rate_limited
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import Scope, scope_of
from kiemdich.core.masking import shape_for_officer
from kiemdich.core.schemas import ErrorOut, PersonShape
from kiemdich.declarations import services
from kiemdich.declarations.models import Declaration, SymptomAlert
from kiemdich.people.services import managed_person

router = Router(tags=["declarations"])
ERRORS = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class DeclarationIn(Schema):
    """The domestic form's questions about the last 14 days; every yes/no must be answered."""

    language: Literal["vi", "en"] = "vi"
    visited_places: bool
    visited_places_text: str = Field("", max_length=500)
    fever: bool
    cough: bool
    shortness_of_breath: bool
    pneumonia: bool
    sore_throat: bool
    fatigue: bool
    other_symptoms: str = Field("", max_length=500)
    contact_case: bool
    contact_from_outbreak: bool
    contact_symptomatic: bool


class DeclarationOut(Schema):
    id: int
    person_id: int
    created_at: datetime
    local_date: date
    language: str
    visited_places: bool
    visited_places_text: str
    fever: bool
    cough: bool
    shortness_of_breath: bool
    pneumonia: bool
    sore_throat: bool
    fatigue: bool
    other_symptoms: str
    contact_case: bool
    contact_from_outbreak: bool
    contact_symptomatic: bool
    has_symptoms: bool
    has_exposure: bool
    alert_raised: bool


class AlertOut(Schema):
    id: int
    status: str
    created_at: datetime
    area_code: str
    area_name: str
    declaration: DeclarationOut
    person: PersonShape
    street: str


class ActionIn(Schema):
    status: Literal["called", "tested", "referred", "closed"]
    note: str = Field("", max_length=1000)


class ActionOut(Schema):
    id: int
    alert_id: int
    status: str
    note: str
    at: datetime


def _declaration(d: Declaration) -> dict:
    return {**{f: getattr(d, f) for f in DeclarationOut.model_fields if f != "alert_raised"},
            "alert_raised": d.has_symptoms or d.has_exposure}


@router.post("/people/{person_id}/declarations", response={201: DeclarationOut, **ERRORS},
             auth=PEOPLE_AUTH)
@rate_limited("declare", per_ip=600, per_user=120, window=3600)
def declare(request: AuthedRequest, person_id: int, payload: DeclarationIn) -> Status:
    """Declare for oneself or a dependant; needs consent first (409 `consent_required`)."""
    person = managed_person(request.auth, person_id)
    return Status(201, _declaration(services.declare(person, request.auth, payload.dict())))


@router.post("/people/{person_id}/declarations/renew",
             response={201: DeclarationOut, **ERRORS}, auth=PEOPLE_AUTH)
@rate_limited("declare", per_ip=600, per_user=120, window=3600)
def renew(request: AuthedRequest, person_id: int) -> Status:
    """One tap: "nothing has changed, no symptoms" (after a declaration without any)."""
    person = managed_person(request.auth, person_id)
    return Status(201, _declaration(services.renew_unchanged(person, request.auth)))


@router.get("/people/{person_id}/declarations", response={200: list[DeclarationOut],
                                                          404: ErrorOut}, auth=PEOPLE_AUTH)
def list_declarations(request: AuthedRequest, person_id: int, limit: int = 30) -> list[dict]:
    person = managed_person(request.auth, person_id)
    latest = person.declarations.order_by("-created_at")[:_bounded(limit)]
    return [_declaration(d) for d in latest]


def _bounded(limit: int) -> int:
    return max(1, min(limit, 200))


def _alert(alert: SymptomAlert, request: AuthedRequest, scope: Scope) -> dict:
    return {
        "id": alert.pk, "status": alert.status, "created_at": alert.created_at,
        "area_code": alert.area.code if alert.area is not None else "",
        "area_name": alert.area.name if alert.area is not None else "",
        "declaration": _declaration(alert.declaration),
        "person": shape_for_officer(alert.person, request.auth, scope,
                                    reason=f"symptom_alert {alert.pk}"),
        "street": alert.person.street,
    }


@router.get("/alerts", response=list[AlertOut], auth=PEOPLE_AUTH)
def list_alerts(request: AuthedRequest, status: str = "open", limit: int = 50) -> list[dict]:
    """Health officers: symptom alerts of their area, with the person's contact details
    (each full view is audited). `status` = open, called, …, or `all`."""
    scope = scope_of(request)
    alerts = services.alerts_for(scope)
    if status != "all":
        alerts = alerts.filter(status=status)
    return [_alert(a, request, scope) for a in alerts[:_bounded(limit)]]


@router.post("/alerts/{alert_id}/actions", response={201: ActionOut, **ERRORS},
             auth=PEOPLE_AUTH)
def alert_action(request: AuthedRequest, alert_id: int, payload: ActionIn) -> Status:
    """Record what was done about an alert: called, tested, referred, closed."""
    action = services.record_action(scope_of(request), alert_id, payload.status, payload.note)
    return Status(201, {"id": action.pk, "alert_id": action.alert_id, "status": action.status,
                        "note": action.note, "at": action.at})
