"""Fixed-window rate limits kept in the shared cache (Redis in production)."""

from __future__ import annotations

import time

from django.core.cache import cache
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
