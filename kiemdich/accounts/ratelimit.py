"""Fixed-window rate limits kept in the shared cache (Redis in production)."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from kiemdich.errors import RateLimited


def hit(bucket: str, limit: int, window_seconds: int) -> None:
    """Count one event in `bucket`; raise RateLimited once `limit` is passed in the window."""
    window = int(time.time()) // window_seconds
    key = f"rl:{bucket}:{window}"
    if cache.add(key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_seconds + 1)
            count = 1
    if count > limit:
        retry_after = window_seconds - int(time.time()) % window_seconds
        raise RateLimited(_("Quá nhiều yêu cầu, vui lòng thử lại sau."), retry_after=retry_after)


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104


def _caller_key(request) -> str | None:
    """The account (or dedicated reader) making the request, once authenticated."""
    device = getattr(request, "device", None)
    if device is not None:
        return f"device:{device.pk}"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return None


def rate_limited(bucket: str, *, per_ip: int | None = None, per_user: int | None = None,
                 window: int = 60) -> Callable:
    """Limit a ninja operation or a Django view per client IP and per account.

    Put it under the router/route decorator so it runs after authentication. Over the limit
    the caller gets 429 with Retry-After: the API's error shape under /api/, a short page
    elsewhere.
    """

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if per_ip is not None:
                    hit(f"{bucket}:ip:{client_ip(request)}", per_ip, window)
                caller = _caller_key(request)
                if per_user is not None and caller is not None:
                    hit(f"{bucket}:{caller}", per_user, window)
            except RateLimited as exc:
                return too_many(request, exc)
            return view(request, *args, **kwargs)

        wrapper.rate_limit = (bucket, per_ip, per_user, window)  # for audits of the API
        # django-ninja resolves string annotations in the wrapper's module; hand it the
        # view's own, already resolved, signature instead.
        try:
            wrapper.__signature__ = inspect.signature(view, eval_str=True)
        except NameError:
            wrapper.__signature__ = inspect.signature(view)
        return wrapper

    return decorate


def too_many(request, exc: RateLimited) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(exc.as_dict(), status=429)
    else:
        response = HttpResponse(str(exc.message), status=429,
                                content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(exc.retry_after)
    return response
