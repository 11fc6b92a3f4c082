"""Cross-cutting HTTP protections applied to every response and request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from kiemdich.core.errors import DomainError, RetryLater
from kiemdich.core.hooks import HookMiddleware

# Everything the pages need is served by this origin: no CDN, no inline script. The camera
# scanner needs blob: images and media from the device.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class SecurityHeadersMiddleware(HookMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # The interactive API docs too: their script and styles are files of this origin.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self)")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class NoStoreMiddleware(HookMiddleware):
    """`Cache-Control: private, no-store` on every answer that may hold personal data, so no
    browser, proxy or shared computer keeps a copy: every /api/ answer (tokens, people, scan
    answers, exposures) and every answer to a request with credentials (a session cookie or
    an `Authorization` header). Only answers that declare themselves `public` (static files,
    the web app manifest) keep their own caching."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        credentials = ("HTTP_AUTHORIZATION" in request.META
                       or settings.SESSION_COOKIE_NAME in request.COOKIES)
        declared = response.get("Cache-Control", "")
        if (request.path.startswith("/api/") or credentials) and \
                "public" not in declared and "no-store" not in declared:
            response["Cache-Control"] = "private, no-store"
        return response


def upload_view(view: Callable) -> Callable:
    """Mark a view that takes a file up to UPLOAD_MAX_BYTES (an import): its body may pass
    MAX_BODY_BYTES. The file goes to a temporary file, not memory (Django's upload handlers),
    and on to a long task."""
    # A mark on the function itself (read below from the resolved view): mypy knows no
    # attributes on a function but its own.
    view.upload_max_bytes = True  # type: ignore[attr-defined]
    return view


# API operations that take such a file, by URL name (`api:<url_name>`): a ninja operation
# is reached through its path's shared view, which cannot be marked.
UPLOAD_ROUTES: set[str] = set()


def upload_route(url_name: str) -> str:
    """Mark the API operation named `url_name` as taking a file up to UPLOAD_MAX_BYTES."""
    UPLOAD_ROUTES.add(f"api:{url_name}")
    return url_name


class BodySizeLimitMiddleware:
    """Refuse bodies over MAX_BODY_BYTES (or an upload view's own limit) with 413 before
    anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_BODY_BYTES and length > self._upload_limit(request):
            return JsonResponse(
                {"error": {"code": "body_too_large", "message": "Request body is too large."}},
                status=413,
            )
        return self.get_response(request)

    @staticmethod
    def _upload_limit(request: HttpRequest) -> int:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return 0
        if getattr(match.func, "upload_max_bytes", False) or match.view_name in UPLOAD_ROUTES:
            return settings.UPLOAD_MAX_BYTES
        return 0


class DomainErrorPagesMiddleware(HookMiddleware):
    """The pages' one handler of domain errors (the API has its own, kiemdich.api): a refusal
    no view turned into a form error or a message answers as Django's pages do — not found
    404, forbidden 403, anything else 400 — instead of each view re-raising it by hand.
    A refusal for now (RetryLater: 429, 503) is the rate limiter's and the server's to answer."""

    def process_exception(self, request: HttpRequest,
                          exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or isinstance(exception, RetryLater):
            return None
        message = str(exception.message)
        page_error: Exception = Http404(message) if exception.status == 404 else \
            PermissionDenied(message) if exception.status in (401, 403) else BadRequest(message)
        return response_for_exception(request, page_error)
