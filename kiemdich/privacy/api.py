"""Data-subject rights through the API (one's own data, deleting the account, withdrawing
consent), the abuse flags for officers, and the audit trail for auditors."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kiemdich.accounts import policy
from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.ratelimit import rate_limited
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import scope_of
from kiemdich.core.errors import Forbidden, Invalid, NotFound
from kiemdich.core.schemas import ErrorOut
from kiemdich.people.cards import pdf_response
from kiemdich.privacy import abuse, audit, own_data, services
from kiemdich.privacy.models import AuditEntry, Flag

router = Router(tags=["privacy"], auth=PEOPLE_AUTH)


class DeletionOut(Schema):
    id: int
    status: str
    requested_at: datetime
    due_at: datetime
    held_people: list[int]
    message: str


class ConsentWithdrawOut(Schema):
    withdrawn: int
    withdrawn_at: datetime


class FlagOut(Schema):
    id: int
    venue_id: int
    kind: str
    detail: str
    created_at: datetime


class AuditEntryOut(Schema):
    """One entry as the auditors read it: the actor's name and roles as they were then."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    actor_role: str
    actor_label: str
    action: str
    target: str
    reason: str
    ip: str | None


def _deletion_out(status: services.DeletionStatus) -> dict:
    request = status.request
    if status.held_people:
        message = _("Tài khoản sẽ bị xóa trong 72 giờ. Một số lượt ra vào đang phục vụ truy vết "
                    "một ca bệnh chưa đóng nên được giữ lại đến khi ca bệnh đóng, rồi sẽ bị xóa.")
    else:
        message = _("Tài khoản và toàn bộ dữ liệu sẽ bị xóa trong 72 giờ.")
    return {"id": request.pk, "status": request.status, "requested_at": request.requested_at,
            "due_at": request.due_at, "held_people": status.held_people, "message": message}


@router.post("/me/delete", response={202: DeletionOut, 401: ErrorOut, 409: ErrorOut,
                                     429: ErrorOut})
@rate_limited("me-delete", per_ip=30, per_user=5, window=3600)
def request_deletion(request: AuthedRequest) -> Status:
    """Ask for the account and its people's data to be erased within 72 hours."""
    return Status(202, _deletion_out(services.request_deletion(request.auth)))


@router.get("/me/delete", response={200: DeletionOut, 401: ErrorOut, 404: ErrorOut})
def deletion_status(request: AuthedRequest) -> dict:
    """The pending deletion request of this account, if any."""
    status = services.pending_deletion(request.auth)
    if status is None:
        raise NotFound(_("Không có yêu cầu xóa tài khoản nào đang chờ."))
    return _deletion_out(status)


@router.post("/consent/withdraw", response={200: ConsentWithdrawOut, 401: ErrorOut,
                                            429: ErrorOut})
@rate_limited("consent-withdraw", per_ip=60, per_user=10, window=3600)
def withdraw_consent(request: AuthedRequest) -> dict:
    """Withdraw the consent given to process this account's personal data."""
    withdrawn, at = services.withdraw_consent(request.auth)
    return {"withdrawn": withdrawn, "withdrawn_at": at}


@router.get("/flags", response={200: list[FlagOut], 401: ErrorOut, 403: ErrorOut})
def list_flags(request: AuthedRequest, limit: int = 100) -> list[Flag]:
    """Remote or mass check-ins flagged at venues in the officer's area."""
    scope = scope_of(request)
    if not scope.has(*policy.ABUSE_FLAGS):
        raise Forbidden(_("Chỉ cán bộ quản lý địa bàn xem được."))
    return list(abuse.flags_for(scope)[:max(1, min(limit, 500))])


@router.get("/audit", response={200: list[AuditEntryOut], 401: ErrorOut, 403: ErrorOut,
                                422: ErrorOut})
def list_audit(request: AuthedRequest, action: str = "", actor: str = "", target: str = "",
               date_from: date | None = None, date_to: date | None = None,
               limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
    """The audit trail, newest first, with the filters of the audit page (admins and
    auditors). Page on with `before_id` = the last id received."""
    if not scope_of(request).has(*policy.OVERSIGHT):
        raise Forbidden(_("Chỉ quản trị viên và kiểm toán viên xem được nhật ký."))
    if date_from and date_to and date_to < date_from:
        raise Invalid(code="date_range_invalid", field="date_to")
    entries = audit.search(action=action, actor=actor, target=target, date_from=date_from,
                           date_to=date_to)
    if before_id is not None:
        entries = entries.filter(pk__lt=before_id)
    return list(entries[:max(1, min(limit, 500))])


@router.get("/me/export", response=dict, auth=PEOPLE_AUTH)
@rate_limited("own-data-export", per_user=20, window=3600)
def my_data(request: AuthedRequest) -> HttpResponse:
    """Everything held about this account's people (audited)."""
    response = HttpResponse(own_data.export_json(request.auth),
                            content_type="application/json; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/me/export.pdf", response={200: bytes}, auth=PEOPLE_AUTH,
            openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}})
@rate_limited("own-data-export", per_user=20, window=3600)
def my_data_pdf(request: AuthedRequest) -> HttpResponse:
    return pdf_response(own_data.export_pdf(request.auth), "du-lieu-cua-toi.pdf")
