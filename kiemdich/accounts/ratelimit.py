"""Fixed-window rate limits kept in the shared cache (Redis in production)."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from kiemdich.errors import RateLimited


def hit(bucket: str, limit: int, window_seconds: int) -> None:
    """Count one event in `bucket`; raise RateLimited once `limit` is passed in the window."""
    window = int(time.time()) // window_seconds
    count = _count(f"rl:{bucket}:{window}", window_seconds + 1)
    if count > limit:
        retry_after = window_seconds - int(time.time()) % window_seconds
        raise RateLimited(_("Quá nhiều yêu cầu, vui lòng thử lại sau."), retry_after=retry_after)


def _count(key: str, timeout: int) -> int:
    """One more event under `key`, which lives `timeout` seconds from its first event."""
    shared = caches["default"]
    if isinstance(shared, RedisCache):
        # One round trip: the cache API would take three (add, then incr's EXISTS and INCR),
        # and the scan endpoints count every scan.
        full_key = shared.make_and_validate_key(key)
        pipe = shared._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, timeout, nx=True)
        return pipe.execute()[0]
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


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


Limit = int | str | None


def _limit(limit: Limit) -> int | None:
    return getattr(settings, limit) if isinstance(limit, str) else limit


def rate_limited(bucket: str, *, per_ip: Limit = None, per_user: Limit = None,
                 window: int = 60) -> Callable:
    """Limit a ninja operation or a Django view per client IP and per account (or dedicated
    reader). A limit is a number, or the name of a setting read at each request.

    Put it under the router/route decorator so it runs after authentication. Over the limit
    the caller gets 429 with Retry-After: the API's error shape under /api/, a short page
    elsewhere.
    """

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                ip_limit, caller_limit = _limit(per_ip), _limit(per_user)
                if ip_limit is not None:
                    hit(f"{bucket}:ip:{client_ip(request)}", ip_limit, window)
                caller = _caller_key(request)
                if caller_limit is not None and caller is not None:
                    hit(f"{bucket}:{caller}", caller_limit, window)
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
