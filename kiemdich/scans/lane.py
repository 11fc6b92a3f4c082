"""The lane: a reader's `POST /api/v1/venues/{id}/scans` (`Device` token) and a visitor's
poster check-in `POST /api/v1/checkins` (`Bearer` token), on a short path.

A dedicated reader sends scan after scan, and the citizen's app checks in with its token, with
no session, cookie or CSRF token: nothing of Django's full middleware stack is for them —
sessions, CSRF, authentication middleware, messages, htmx, static files. Walking through them,
and through django-ninja's dispatch, cost more CPU than the scan itself. In front of the WSGI
application (kiemdich/wsgi.py), this lane takes the plain case — a valid JSON body that the
endpoint's input schema accepts, the token of an active reader at its own venue or of a
person's valid session token, no session cookie — and answers it in one function
(`ScanLane._answer`), without Django's handler and middleware chain: Django's request object,
its request_started/request_finished signals (the database connections' age and health),
the hooks of every middleware that shapes such an answer (request id and metrics, client
address for the audit, security headers, no-store, the API's error shape, the language,
frame options, the replica pin: kiemdich.core.hooks — each defined once, in its middleware)
and the endpoint's own function (its rate limit, its service), its answer rendered as ninja
renders it (kiemdich.core.rendering). Anything else — a bad body, a missing or refused token,
a foreign venue, a body over the size limit — is handed, untouched, to the full stack, which
answers it as it always did. Nothing is written before that decision (but a token's last use,
which the full stack would write as well, for a token the lane then answers).

tests/scans/test_lane.py sends the same requests through the lane and through the full stack
and compares status, body and headers. SCAN_LANE=0 turns it off.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signals
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import resolve, set_script_prefix, set_urlconf
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.log import log_response
from django.utils.module_loading import import_string
from ninja import Schema, Status
from ninja.operation import PathView
from pydantic import ValidationError

from kiemdich.accounts.auth import user_for_token
from kiemdich.core.hooks import HookMiddleware
from kiemdich.core.rendering import Dump, Unprovable, answer_dumper, rendered, renders_like_ninja
from kiemdich.scans.access import venue_for_device
from kiemdich.scans.api import CheckinIn, ScanIn, checkin, scan
from kiemdich.venues.devices import device_for_token

if TYPE_CHECKING:
    from ninja.operation import Operation

_PATH = re.compile(r"/api/v1/venues/([1-9][0-9]{0,17})/scans")
CHECKIN_PATH = "/api/v1/checkins"
_DEVICE, _BEARER = "Device ", "Bearer "
_log = logging.getLogger(__name__)
# What the full stack's middleware (settings.MIDDLEWARE) does that a device's scan or a
# token's check-in does not need, or what the lane does in its place (VaryOnCookie and
# ReadsSession for the session's; the body's size is checked before the lane takes it).
# Every other middleware runs in the lane through its hooks, in its order: one whose work is
# not all in its hooks (kiemdich.core.hooks) turns the lane off — none is skipped unseen.
SKIPPED = {
    "whitenoise.middleware.WhiteNoiseMiddleware": None,
    "kiemdich.core.middleware.BodySizeLimitMiddleware": None,
    "django.contrib.sessions.middleware.SessionMiddleware": "kiemdich.scans.lane.VaryOnCookie",
    "django.middleware.csrf.CsrfViewMiddleware": None,
    "django.contrib.auth.middleware.AuthenticationMiddleware": None,
    "kiemdich.accounts.middleware.SessionTimeoutMiddleware": "kiemdich.scans.lane.ReadsSession",
    "django.contrib.messages.middleware.MessageMiddleware": None,
    "django_htmx.middleware.HtmxMiddleware": None,
}


def lane_middleware() -> list[str]:
    return [SKIPPED.get(path) or path for path in settings.MIDDLEWARE
            if path not in SKIPPED or SKIPPED[path]]


WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]
Before = Callable[[HttpRequest], HttpResponse | None]
After = Callable[[HttpRequest, HttpResponse], HttpResponse]
OnException = Callable[[HttpRequest, Exception], HttpResponse | None]


class VaryOnCookie(HookMiddleware):
    """What SessionMiddleware adds to the full stack's answer to a device or a token: `Vary:
    Cookie` once the session was read (ReadsSession), so that caches see the two paths'
    answers alike."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "session_read", False):
            patch_vary_headers(response, ("Cookie",))
        return response


class ReadsSession(HookMiddleware):
    """In the session timeout's place: it reads the session's user of every request that
    gets that far (not of one answered before it, a refused host)."""

    def process_request(self, request: HttpRequest) -> None:
        request.session_read = True  # type: ignore[attr-defined]  # read by VaryOnCookie


class NotHooks(Exception):  # noqa: N818 (the lane's verdict on a middleware)
    """A middleware whose work is not all in the hooks the lane calls."""


def _hooks(path: str) -> tuple[Before | None, After | None, OnException | None]:
    """The middleware's process_request, process_response and process_exception (None for
    one it does not have, or its base's that does nothing)."""
    cls = import_string(path)
    base = HookMiddleware if issubclass(cls, HookMiddleware) else \
        MiddlewareMixin if issubclass(cls, MiddlewareMixin) else None
    if base is None or cls.__call__ is not base.__call__ or \
            hasattr(cls, "process_view") or hasattr(cls, "process_template_response"):
        raise NotHooks(path)
    instance = cls(_unreachable)

    def own(name: str) -> Any:
        method = getattr(cls, name, None)
        return None if method is None or method is getattr(base, name, None) else \
            getattr(instance, name)

    return own("process_request"), own("process_response"), own("process_exception")


def _unreachable(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the lane calls a middleware's hooks, never the middleware")


def _operation(view: Callable) -> Operation:
    """django-ninja's operation behind the endpoint's URL (bound to the API: its response
    schemas and exception handlers answer)."""
    for cell in view.__closure__ or ():
        if isinstance(cell.cell_contents, PathView):
            for operation in cell.cell_contents.operations:
                if "POST" in operation.methods and operation.api is not None:
                    return operation
    raise LookupError(f"POST {view.__name__}")


class _Route:
    """An endpoint the lane answers: its URL's match (which names the metrics), its
    django-ninja operation (its response schemas and exception handlers answer) and, by
    status, the dump of its response schema that spares ninja's pydantic round trip."""

    def __init__(self, path: str) -> None:
        self.match = resolve(path)
        self.operation = operation = _operation(self.match.func)
        plain = renders_like_ninja(operation.api.renderer if operation.api else None) and not (
            operation.by_alias or operation.exclude_unset or operation.exclude_defaults or
            operation.exclude_none)
        self.dumps: dict[int, Dump] = {}
        for status, model in operation.response_models.items():
            dump = answer_dumper(model.model_fields["response"].annotation) if plain else None
            if isinstance(status, int) and dump is not None:
                self.dumps[status] = dump

    def render(self, request: HttpRequest, result: Any) -> HttpResponse:
        """The endpoint's result as ninja's operation renders it."""
        api = self.operation.api
        dump = self.dumps.get(result.status_code) if isinstance(result, Status) else None
        if dump is not None:
            try:
                body = dump(result.value)
            except Unprovable:
                pass
            else:
                return rendered(body, result.status_code)
        response = self.operation._result_to_response(
            request, result, api.create_temporal_response(request))
        assert isinstance(response, HttpResponse)
        return response


class ScanLane:
    """WSGI middleware: the lane for what it takes, the full application for the rest."""

    def __init__(self, application: WSGIApp) -> None:
        self.application = application
        self.scan = _Route("/api/v1/venues/1/scans")
        self.checkin = _Route(CHECKIN_PATH)
        try:
            hooks = [_hooks(path) for path in lane_middleware()]
        except NotHooks as exc:
            # Off rather than answering without what that middleware does.
            _log.warning("the scan lane is off: %s does more than its hooks", exc)
            hooks = None
        self.layers = [(before, after) for before, after, _ in hooks] if hooks else None
        # As Django's handler calls them: the innermost middleware's first.
        self.exception_hooks = [hook for _, _, hook in reversed(hooks or []) if hook]

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if settings.SCAN_LANE and self.layers is not None and \
                environ.get("REQUEST_METHOD") == "POST" and \
                f"{settings.SESSION_COOKIE_NAME}=" not in environ.get("HTTP_COOKIE", ""):
            try:
                taken = self._take(environ)
            except DatabaseError:
                # The caller's, device's or venue's row could not be read (PostgreSQL away,
                # the pool exhausted, a failover under way): the full stack answers as it
                # would without the lane — JSON 503 with Retry-After — not the server's
                # bare 500 for a callable that raised.
                taken = None
            if taken is not None:
                return self._answer(environ, start_response, *taken)
        return self.application(environ, start_response)

    def _answer(self, environ: dict[str, Any], start_response: Callable, route: _Route,
                call: Callable[[HttpRequest], Any]) -> HttpResponse:
        """What Django's WSGI handler and its middleware chain do for such a request, in one
        function: the request object and its signals (the connections' age and health are
        checked on them), each middleware's hooks in the chain's order — an exception
        answered where the chain would catch it — and the endpoint."""
        assert self.layers is not None
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=self.__class__, environ=environ)
        request = WSGIRequest(environ)
        set_urlconf(settings.ROOT_URLCONF)
        layers, early, entered = self.layers, None, 0
        for before, _ in layers:
            if before is not None:
                try:
                    early = before(request)
                except Exception as exc:  # noqa: BLE001 (the chain's convert_exception_to_response)
                    early = response_for_exception(request, exc)
                    break  # out of that middleware: its own process_response does not run
            entered += 1
            if early is not None:
                break
        response = early if early is not None else self._endpoint(request, route, call)
        for index in range(entered - 1, -1, -1):
            after = layers[index][1]
            if after is not None:
                try:
                    response = after(request, response)
                except Exception as exc:  # noqa: BLE001 (as above)
                    response = response_for_exception(request, exc)
        response._resource_closers.append(request.close)  # type: ignore[attr-defined]
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response,
                         request=request)
        # Its close() sends request_finished, as the handler's answer does.
        response._handler_class = self.__class__  # type: ignore[attr-defined]
        start_response(f"{response.status_code} {response.reason_phrase}", [
            *response.items(),
            *(("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values())])
        return response

    def _endpoint(self, request: HttpRequest, route: _Route,
                  call: Callable[[HttpRequest], Any]) -> HttpResponse:
        """The endpoint's own function for a caller already authenticated, its answer or its
        exception as django-ninja's operation and then Django's handler answer them."""
        request.resolver_match = route.match
        try:
            try:
                return route.render(request, call(request))
            except Exception as exc:  # noqa: BLE001 (the API's handlers, as ninja calls them)
                return route.operation.api.on_exception(request, exc)
        except Exception as exc:  # noqa: BLE001 (one the API's handlers did not answer)
            for hook in self.exception_hooks:
                answer = hook(request, exc)
                if answer is not None:
                    return answer
            return response_for_exception(request, exc)

    def _take(self, environ: dict[str, Any]) -> tuple | None:
        """(the route, the endpoint's call) when the lane answers; None for the full stack,
        with the body put back for it to read."""
        path, authorization = environ.get("PATH_INFO", ""), environ.get("HTTP_AUTHORIZATION", "")
        if authorization.startswith(_DEVICE):
            match = _PATH.fullmatch(path)
            if match is None:
                return None
            return self._take_scan(environ, int(match[1]), authorization[len(_DEVICE):].strip())
        if authorization.startswith(_BEARER) and path == CHECKIN_PATH:
            # The token as django-ninja's HttpBearer takes it: all after the first space.
            return self._take_checkin(environ, authorization[len(_BEARER):])
        return None

    def _take_scan(self, environ: dict[str, Any], venue_id: int, token: str) -> tuple | None:
        payload = _body(environ, ScanIn)
        if payload is None or not token:
            return None
        # What the full stack's DeviceAuth and scanning_venue read (cached in-process).
        device = device_for_token(token)
        if device is None or venue_for_device(device, venue_id) is None:
            return None

        def call(request: HttpRequest) -> Any:
            request.device = device  # type: ignore[attr-defined]  # as DeviceAuth sets it
            request.auth = device  # type: ignore[attr-defined]
            return scan(request, venue_id, payload)

        return self.scan, call

    def _take_checkin(self, environ: dict[str, Any], token: str) -> tuple | None:
        payload = _body(environ, CheckinIn)
        if payload is None or not token:
            return None
        # What the full stack's BearerAuth reads (and, once a minute, the token's last use
        # it writes: only for a token it accepts, which the lane then answers).
        user = user_for_token(token)
        if user is None:
            return None

        def call(request: HttpRequest) -> Any:
            request.user = user  # as BearerAuth sets them
            request.api_token = token  # type: ignore[attr-defined]
            request.auth = user  # type: ignore[attr-defined]
            return checkin(request, payload)

        return self.checkin, call


def _body(environ: dict[str, Any], schema: type[Schema]) -> Any:
    """The JSON body as the endpoint's input schema, or None (a body the full stack is to
    answer: too large, not JSON, not an object, refused by the schema). The body is put back
    for the full stack to read."""
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
    if not isinstance(data, dict):
        return None
    try:
        return schema.model_validate(data)
    except ValidationError:
        return None
