"""Login by phone + one-time code, tokens, and the caller's own account."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from kiemdich.accounts import otp
from kiemdich.accounts.auth import PEOPLE_AUTH, issue_token, revoke_token
from kiemdich.accounts.ratelimit import client_ip
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import scope_of
from kiemdich.accounts.services import account_summary
from kiemdich.core.schemas import ErrorOut

router = Router(tags=["auth"])


class OtpRequestIn(Schema):
    phone: str


class OtpRequestOut(Schema):
    expires_in: int


class TokenIn(Schema):
    phone: str
    code: str


class TokenOut(Schema):
    token: str
    expires_at: datetime


class GrantOut(Schema):
    role: str
    area_code: str | None
    area_name: str | None
    sector: str


class MePersonOut(Schema):
    id: int
    full_name: str
    is_self: bool


class MeOut(Schema):
    id: int
    phone: str
    roles: list[str]
    grants: list[GrantOut]
    venues_owned: list[int]
    venues_staffed: list[int]
    people: list[MePersonOut]


@router.post("/auth/otp", response={202: OtpRequestOut, 422: ErrorOut, 429: ErrorOut},
             auth=None)
def request_otp(request: HttpRequest, payload: OtpRequestIn) -> Status:
    """Send a one-time login code by SMS."""
    return Status(202, {"expires_in": otp.request_code(payload.phone, client_ip(request))})


@router.post("/auth/token", response={200: TokenOut, 400: ErrorOut, 422: ErrorOut,
                                      429: ErrorOut}, auth=None)
def exchange_otp(request: HttpRequest, payload: TokenIn) -> dict:
    """Exchange the code for a bearer token; the account is made at first login."""
    user = otp.verify_code(payload.phone, payload.code, client_ip(request))
    token, record = issue_token(user)
    return {"token": token, "expires_at": record.expires_at}


@router.post("/auth/logout", response={204: None}, auth=PEOPLE_AUTH)
def logout(request: HttpRequest) -> Status:
    """Invalidate the bearer token used for this call."""
    token = getattr(request, "api_token", None)
    if token:
        revoke_token(token)
    return Status(204, None)


@router.get("/me", response=MeOut, auth=PEOPLE_AUTH)
def me(request: AuthedRequest) -> dict:
    """The account, its roles and the people it manages."""
    return account_summary(request.auth, scope_of(request))
