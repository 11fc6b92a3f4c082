"""The public API (/api/v1): mounts each app's router and turns errors into the contract's
`{"error": {"code", "message"}}` shape."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger

from kiemdich import readiness
from kiemdich.accounts.api import router as accounts
from kiemdich.core.error_codes import CATALOGUE
from kiemdich.core.errors import DomainError, RetryLater
from kiemdich.declarations.api import router as declarations
from kiemdich.failures import RETRY_AFTER_SECONDS, UNAVAILABLE, database_unavailable, unavailable
from kiemdich.jobpages.api import router as jobs
from kiemdich.people.api import router as people
from kiemdich.privacy.api import router as privacy
from kiemdich.reports.api import router as reports
from kiemdich.scans.api import router as scans
from kiemdich.tracing.api import router as tracing
from kiemdich.validation_messages import localised
from kiemdich.venues.api import router as venues
from kiemdich.zones.api import router as zones

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# Answers any operation may give besides its own: a body that is not JSON (400), an unknown
# object (404), invalid input (422), a rate limit (429), the database away (503); and 401
# where the operation needs credentials.
COMMON_ERRORS = (400, 404, 422, 429, 503)


class ContractAPI(NinjaAPI):
    """The API whose OpenAPI document declares every status an operation can answer, and
    every error code (the catalogue, kiemdich.core.error_codes): as the enum of the error
    body's `code`, and with their statuses and messages under `x-error-codes`."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        codes = sorted(CATALOGUE)
        for component in schema.get("components", {}).get("schemas", {}).values():
            properties = component.get("properties", {})
            if {"code", "message"} <= set(properties) and \
                    properties["code"].get("type") == "string":
                properties["code"]["enum"] = codes
        schema["x-error-codes"] = [
            {"code": entry.code, "status": entry.status, "statuses": list(entry.statuses),
             "message": str(entry.message), "scan_refusal": entry.scan}
            for entry in CATALOGUE.values()]
        error = {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation["responses"]
                statuses = COMMON_ERRORS + ((401,) if operation.get("security") else ())
                for status in statuses:
                    if status not in responses and str(status) not in responses:
                        responses[status] = {"description": HTTPStatus(status).phrase, **error}
        return schema


api = ContractAPI(
    title="Kiểm Dịch QR API",
    version="1",
    description="Health declaration, venue QR check-in/out and contact tracing.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    # Served from django-ninja's own static files (no CDN); no validator badge, which would
    # load an image from elsewhere.
    docs=Swagger(settings={"validatorUrl": None}),
)


def error_response(request: HttpRequest, status: int, code: str, message: str,
                   **extra: object) -> HttpResponse:
    body = {"code": code, "message": message, **extra}
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, RetryLater):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", [])]
    if loc[:1] in (["file"], ["form"]):  # a multipart part: its name is the field
        loc = loc[1:]
    location = [p for p in loc if p not in ("body", "payload", "query", "path")]
    field = ".".join(location)
    message = localised(first) if first else _("Dữ liệu không hợp lệ.")
    return error_response(request, 422, "invalid", f"{field}: {message}" if field else message,
                          field=field, details=[
                              {"field": ".".join(str(p) for p in e.get("loc", [])),
                               "message": localised(e)} for e in exc.errors[:20]])


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthorized", _("Cần đăng nhập."))


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # A value the database cannot hold (a NUL character, a number out of range) came from the
    # request: bad input, not a server fault.
    return error_response(request, 422, "invalid", _("Dữ liệu không hợp lệ."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Không tìm thấy."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja raises it for a body it cannot parse (400); its English text says little.
    if exc.status_code == 400:
        return error_response(request, 400, "bad_request",
                              _("Nội dung yêu cầu không đọc được (cần JSON hợp lệ)."))
    return error_response(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Exception)
def on_unhandled(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database away answers 503 here (kiemdich.failures); anything else goes on to
    Django, which logs it and answers through the same module's handler500."""
    if database_unavailable(exc):
        logger.warning("database unavailable: %s %s: %s", request.method, request.path,
                       str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return unavailable(request)
    raise exc


class HealthOut(Schema):
    status: str


@api.get("/health", auth=None, tags=["health"], response={200: HealthOut})
def health(request: HttpRequest) -> dict[str, str]:
    """Liveness, for a supervisor: 200 while this process answers, whatever its database or
    Redis do (restarting it would not bring them back). The cheapest request of the stack."""
    return {"status": "ok"}


class ReadyOut(Schema):
    status: str
    database: bool
    redis: bool | None = Field(None, description="null where Redis is not configured")


class NotReadyError(Schema):
    code: str
    message: str
    down: list[str]


class NotReadyOut(ReadyOut):
    error: NotReadyError


@api.get("/ready", auth=None, tags=["health"], response={200: ReadyOut, 503: NotReadyOut})
def ready(request: HttpRequest) -> dict[str, object] | HttpResponse:
    """Readiness, for a load balancer: 200 when PostgreSQL and Redis (where configured)
    answer; else 503 with `Retry-After`, naming each part that did not answer in
    `error.down`. Each check gives up within its short timeout."""
    checked = readiness.parts()
    missing = readiness.down(checked)
    if not missing:
        return {"status": "ok", **checked}
    message = _("Máy chủ chưa sẵn sàng: không kết nối được %(parts)s.") % {
        "parts": ", ".join(str(PART_NAMES[name]) for name in missing)}
    response = api.create_response(request, {
        "status": "unavailable", **checked,
        "error": {"code": UNAVAILABLE, "message": message, "down": missing}}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


PART_NAMES: dict[str, StrOrPromise] = {"database": gettext_lazy("cơ sở dữ liệu"), "redis": "Redis"}


def _mount(*routers: Router) -> None:
    for router in routers:
        api.add_router("", router)


# The scans first: Django tries the patterns in order, and a scan is most of the traffic.
_mount(scans, accounts, people, declarations, venues, reports, tracing, privacy, zones, jobs)
