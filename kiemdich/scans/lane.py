"""The reader's lane: `POST /api/v1/venues/{id}/scans` with a `Device` token, on a short path.

A dedicated reader sends scan after scan, with no session, cookie or CSRF token, and nothing
of Django's full middleware stack is for it: sessions, CSRF, authentication middleware,
messages, htmx, static files, the replica pin (a device has no account). Walking through
them, and through django-ninja's dispatch, cost more CPU than the scan itself. In front of
the WSGI application (kiemdich/wsgi.py), this lane takes the plain case — a valid JSON body
that `ScanIn` accepts, a device token of an active reader, the reader's own venue — and
answers it through the middleware that shape every answer (request id and metrics, client
address for the audit, security headers, no-store, the API's error shape, the language,
frame options), the same rate limit as the endpoint, the same service and ninja's rendering
of the endpoint's response schemas. Anything else — a bad body, a missing or refused token,
a foreign venue, a body over the size limit — is handed, untouched, to the full stack, which
answers it as it always did. Nothing is written before that decision.

tests/scans/test_lane.py sends the same requests through the lane and through the full stack
and compares status, body and headers. SCAN_LANE=0 turns it off.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import resolve
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from ninja import Status
from pydantic import ValidationError

from kiemdich.accounts.ratelimit import hit, setting_limit, too_many
from kiemdich.core.errors import RateLimited

_PATH = re.compile(r"/api/v1/venues/([1-9][0-9]{0,17})/scans")
_PREFIX = "Device "
_LANE_KEY = "kiemdich.scan_lane"
# What the full stack's middleware (settings.MIDDLEWARE) does that a device's scan does not
# need; every other middleware runs in the lane, in its order, a new one included. Session
# middleware's place takes VaryOnCookie. The body's size is checked before the lane takes it.
SKIPPED = {
    "whitenoise.middleware.WhiteNoiseMiddleware": None,
    "kiemdich.core.middleware.BodySizeLimitMiddleware": None,
    "django.contrib.sessions.middleware.SessionMiddleware": "kiemdich.scans.lane.VaryOnCookie",
    "django.middleware.csrf.CsrfViewMiddleware": None,
    "django.contrib.auth.middleware.AuthenticationMiddleware": None,
    "kiemdich.core.replica.PinToLeaderAfterWrite": None,
    "kiemdich.accounts.middleware.SessionTimeoutMiddleware": None,
    "django.contrib.messages.middleware.MessageMiddleware": None,
    "django_htmx.middleware.HtmxMiddleware": None,
}


def lane_middleware() -> list[str]:
    return [SKIPPED.get(path) or path for path in settings.MIDDLEWARE
            if path not in SKIPPED or SKIPPED[path]]


WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]


class VaryOnCookie:
    """What SessionMiddleware adds to the full stack's answer to a device: `Vary: Cookie`
    (the replica pin reads the session's user of every write), so that caches see the two
    paths' answers alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        return response


class _LaneHandler(WSGIHandler):
    """Django's WSGI handler (signals, the request object, exceptions to responses as
    handler500 answers them) with the short middleware chain and one view."""

    def load_middleware(self, is_async: bool = False) -> None:
        handler = convert_exception_to_response(_scan_view)
        for path in reversed(lane_middleware()):
            handler = convert_exception_to_response(import_string(path)(handler))
        self._middleware_chain = handler
        self._view_middleware: list[Callable] = []
        self._template_response_middleware: list[Callable] = []
        self._exception_middleware: list[Callable] = []


def _operation(view: Callable):
    """django-ninja's operation behind the endpoint's URL (bound to the API: its response
    schemas and exception handlers answer)."""
    from ninja.operation import PathView

    for cell in view.__closure__ or ():
        if isinstance(cell.cell_contents, PathView):
            for operation in cell.cell_contents.operations:
                if "POST" in operation.methods and operation.api is not None:
                    return operation
    raise LookupError("POST /api/v1/venues/{venue_id}/scans")


class ScanLane:
    """WSGI middleware: the lane for what it takes, the full application for the rest."""

    def __init__(self, application: WSGIApp) -> None:
        self.application = application
        self.handler = _LaneHandler()
        self.match = resolve("/api/v1/venues/1/scans")  # its route names the metrics
        self.operation = _operation(self.match.func)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if settings.SCAN_LANE and environ.get("REQUEST_METHOD") == "POST":
            match = _PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match and environ.get("HTTP_AUTHORIZATION", "").startswith(_PREFIX):
                try:
                    taken = self._take(environ, int(match[1]))
                except DatabaseError:
                    # The device's or venue's row could not be read (PostgreSQL away, the
                    # pool exhausted, a failover under way): the full stack answers as it
                    # would without the lane — JSON 503 with Retry-After — not the server's
                    # bare 500 for a callable that raised.
                    taken = None
                if taken is not None:
                    environ[_LANE_KEY] = (self, *taken)
                    return self.handler(environ, start_response)
        return self.application(environ, start_response)

    def _take(self, environ: dict[str, Any], venue_id: int) -> tuple | None:
        """(device, venue, the scan) when the lane answers; None for the full stack, with the
        body put back for it to read."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if not 0 < length <= settings.MAX_BODY_BYTES or \
                environ.get("CONTENT_TYPE", "").split(";")[0].strip() != "application/json":
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            data = json.loads(body)
        except ValueError:
            return None
        from kiemdich.scans.access import venue_for_device
        from kiemdich.scans.api import ScanIn
        from kiemdich.venues.devices import device_for_token

        if not isinstance(data, dict):
            return None
        try:
            payload = ScanIn.model_validate(data)
        except ValidationError:
            return None
        token = environ["HTTP_AUTHORIZATION"][len(_PREFIX):].strip()
        # What the full stack's DeviceAuth and scanning_venue read (cached in-process).
        device = device_for_token(token) if token else None
        venue = venue_for_device(device, venue_id) if device is not None else None
        if venue is None:
            return None
        return device, venue, payload


def _scan_view(request: HttpRequest) -> HttpResponse:
    """The endpoint's body (kiemdich.scans.api.scan) for a device already authenticated."""
    from kiemdich.scans import services
    from kiemdich.scans.access import Scanner

    assert isinstance(request, WSGIRequest)
    lane, device, venue, payload = request.environ.pop(_LANE_KEY)
    request.resolver_match = lane.match
    request.device = device  # type: ignore[attr-defined]
    operation = lane.operation
    try:
        # The endpoint's `rate_limited("scan", per_user="SCAN_RATE_PER_MINUTE")`.
        limit = setting_limit("SCAN_RATE_PER_MINUTE")
        if limit is not None:
            try:
                hit(f"scan:device:{device.pk}", limit, 60)
            except RateLimited as exc:
                return too_many(request, exc)
        outcome = services.ingest(venue, Scanner(None, device), payload.as_input())
        return operation._result_to_response(
            request, Status(outcome.status, outcome.body),
            operation.api.create_temporal_response(request))
    except Exception as exc:  # noqa: BLE001 (the API's handlers, as ninja calls them)
        return operation.api.on_exception(request, exc)


def wrap(application: WSGIApp) -> WSGIApp:
    return ScanLane(application)

