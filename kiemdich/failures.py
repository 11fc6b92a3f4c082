"""What a request answers when something fails that is not one of the domain's refusals.

One place for all of it:

- **The database away** (stopped, restarting, failing over — a write that reached a server
  which is not the leader any more —, unreachable, or no pooled connection within
  `DB_POOL_TIMEOUT`): `503` with `Retry-After`, code `unavailable`. Django
  wraps every driver and pool error (psycopg's `OperationalError`, `InterfaceError`, the
  pool's `PoolTimeout`) into `django.db.OperationalError`/`InterfaceError`, whichever layer
  met it — a middleware loading the session, the authentication, a view. Nothing was
  committed by a request that got this answer, so a client may send it again.
- **Any other unhandled exception**: `500`, code `server_error` (logged with its traceback
  by Django, through the redacting log filter).
- Under `/api/` every error answer is the contract's JSON shape
  `{"error": {"code", "message"}}`; `ApiErrorShapeMiddleware` turns the answers Django and
  django-ninja make themselves (an unknown path or a non-integer id, a method not allowed)
  into it. Pages get a short HTML page.

`urls.py` installs the handlers (`handler400`, `handler403`, `handler404`, `handler500`).
"""

from __future__ import annotations

import sys

import psycopg
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

from kiemdich.core.hooks import HookMiddleware
from kiemdich.core.observability import current_request_id

API_PREFIX = "/api/"
UNAVAILABLE = "unavailable"
# Long enough for a PostgreSQL restart or a failover to finish, short enough that a reader
# at a gate sends its queued scans again within seconds.
RETRY_AFTER_SECONDS = 5

_DATABASE_AWAY = (OperationalError, InterfaceError, psycopg.OperationalError,
                  psycopg.InterfaceError)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


# During a failover the write address may lead, for a moment, to a server that is not (or no
# longer) the leader: PostgreSQL refuses the write as read-only, Django raises it as an
# InternalError. Nothing was written; the client sends it again once the new leader serves.
_NOT_THE_LEADER = (psycopg.errors.ReadOnlySqlTransaction,)


def database_unavailable(exc: BaseException | None) -> bool:
    """The exception says the database cannot be reached or used right now."""
    return isinstance(exc, (*_DATABASE_AWAY, *_NOT_THE_LEADER)) \
        or isinstance(getattr(exc, "__cause__", None), _NOT_THE_LEADER)


def json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON under /api/, a short page otherwise. Renders nothing that
    needs the database (no context processors, no session)."""
    message = _("Hệ thống tạm thời gián đoạn; vui lòng thử lại sau ít giây.")
    if is_api(request):
        response: HttpResponse = json_error(503, UNAVAILABLE, message)
    else:
        response = HttpResponse(render_to_string("unavailable.html",
                                                 {"seconds": RETRY_AFTER_SECONDS,
                                                  "request_id": current_request_id()}),
                                status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so `sys.exc_info()` is it."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable(request)
    if is_api(request):
        return json_error(500, "server_error", _("Lỗi máy chủ; vui lòng thử lại sau."))
    # Rendered without the request's context: whatever failed may fail again in it.
    return HttpResponse(render_to_string("500.html", {"request_id": current_request_id()}),
                        status=500)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_error(404, "not_found", _("Không tìm thấy."))
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_error(400, "bad_request", _("Yêu cầu không hợp lệ."))
    return defaults.bad_request(request, exception or BadRequest())


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_error(403, "forbidden", _("Không có quyền."))
    return defaults.permission_denied(request, exception or PermissionDenied())


class ApiErrorShapeMiddleware(HookMiddleware):
    """Every error answer under /api/ in the contract's JSON shape, whoever made it: the
    handlers above answer JSON already; this catches what django-ninja and Django answer on
    their own (405 for a method an operation does not have, Django's CSRF or host refusals)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (response.status_code < 400 or not is_api(request) or response.streaming
                or response.get("Content-Type", "").startswith("application/json")):
            return response
        status = response.status_code
        shaped = json_error(status, _CODES.get(status, "http_error"), _status_message(status))
        for header in ("Retry-After", "Allow", "WWW-Authenticate"):
            if header in response:
                shaped[header] = response[header]
        return shaped


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 413: "body_too_large", 429: "rate_limited",
          500: "server_error", 503: UNAVAILABLE}


def _status_message(status: int) -> str:
    messages = {
        400: _("Yêu cầu không hợp lệ."), 401: _("Cần đăng nhập."), 403: _("Không có quyền."),
        404: _("Không tìm thấy."), 405: _("Phương thức không được hỗ trợ."),
        503: _("Hệ thống tạm thời gián đoạn; vui lòng thử lại sau ít giây."),
    }
    return messages.get(status, _("Lỗi máy chủ; vui lòng thử lại sau.") if status >= 500
                        else _("Yêu cầu không hợp lệ."))

