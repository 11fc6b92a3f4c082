"""Rate limits as sliding windows, kept in the shared cache (Redis in production).

Each limit is "`limit` events per `window` seconds" enforced with the generic cell rate
algorithm (GCRA): a bucket stores one number, the theoretical arrival time (TAT) of its next
event; every event moves it `window / limit` seconds later, and an event is refused when the
TAT would run more than `window` ahead of now. A burst of `limit` events is allowed, then one
more every `window / limit` seconds — no clock boundary at which a full allowance comes back
at once (a fixed window let `2 × limit` through across its edge, and kept a victim locked out
until the next clock hour). In Redis the check and the update are one script, one round trip.

Bucket names may hold a phone number or an address: the key stored is a keyed hash of the
name, never the name.

When Redis does not answer (down, or frozen past the cache's socket timeout) the limits fail
open to counting in the process: a scan or a login is not refused for it, each server
process enforces the limits on its own until Redis answers again (tried every
`RATE_LIMIT_REDIS_RETRY_SECONDS`), and the fallback is logged once per outage and counted
(`kiemdich_rate_limit_fallbacks_total`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import inspect
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from kiemdich.core import metrics
from kiemdich.core.errors import RateLimited
from kiemdich.core.proxies import client_ip
from kiemdich.core.redis_client import HeldScript

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Allowance:
    """What a bucket granted: `granted` of the events asked for, and the seconds until it
    takes one more (0 while some allowance is left)."""

    granted: int
    retry_after: int


def take(bucket: str, limit: int, window: int, n: int = 1) -> Allowance:
    """Count up to `n` events in `bucket` (at most `limit` per sliding `window` seconds) and
    say how many it took: the first ones, as far as the allowance goes."""
    if n <= 0:
        return Allowance(0, 0)
    if limit <= 0:  # a limit configured to 0 turns the thing off
        return Allowance(0, window)
    interval = window / limit
    granted, wait = _store_take(_key(bucket), interval, float(window), n, time.time())
    return Allowance(granted, max(0, math.ceil(wait)))


def hit(bucket: str, limit: int, window: int) -> None:
    """Count one event in `bucket`; raise RateLimited when the allowance is used up."""
    allowance = take(bucket, limit, window)
    if not allowance.granted:
        # The label is the kind of limit, the bucket's name up to its first key (no phone
        # number or address in a label).
        metrics.RATE_LIMITED.labels(bucket.split(":", 1)[0]).inc()
        raise refusal(allowance.retry_after)


def refusal(retry_after: int) -> RateLimited:
    """The 429 of every limit, whose message says how long to wait."""
    return RateLimited(_("Quá nhiều yêu cầu, vui lòng thử lại sau %(wait)s.")
                       % {"wait": wait_text(retry_after)}, retry_after=retry_after)


def wait_text(seconds: int) -> str:
    """'45 giây', '12 phút': a wait as people say it (minutes from 90 seconds, rounded up)."""
    seconds = max(1, int(seconds))
    if seconds < 90:
        return ngettext("%(n)s giây", "%(n)s giây", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(n)s phút", "%(n)s phút", minutes) % {"n": minutes}


def _key(bucket: str) -> str:
    # Keyed: a bare hash of a phone number is reversed by trying the billion numbers.
    digest = hmac.new(settings.SECRET_KEY.encode(), bucket.encode(), hashlib.sha256)
    return f"rl:{digest.hexdigest()[:32]}"


# Seconds: times near 1.8e9 carry about 1e-7 s of rounding, which must not turn a caller who
# waited exactly the Retry-After into a refusal. The script's literal is the same number.
_SLACK = 0.0001


def _gcra(tat: float | None, now: float, interval: float, window: float,
          n: int) -> tuple[int, float, float]:
    """(granted, new TAT, seconds until one more fits) — the same arithmetic as _GCRA_LUA."""
    start = max(tat or now, now)
    fits = math.floor((now + window - start + _SLACK) / interval)
    granted = min(n, max(fits, 0))
    new_tat = start + granted * interval
    return granted, new_tat, new_tat + interval - window - now


# KEYS[1] the bucket; ARGV interval, window, n, now. The caller's clock, like the local
# store's, so every server of one deployment (NTP-synchronised) counts alike. The key outlives
# its TAT by a window (a TAT in the past counts as none): Redis expires keys by its own clock,
# and a caller whose clock runs behind must not find its bucket gone early.
_GCRA_LUA = """
local interval, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local n, now = tonumber(ARGV[3]), tonumber(ARGV[4])
local start = tonumber(redis.call('GET', KEYS[1]) or ARGV[4])
if start < now then start = now end
local fits = math.floor((now + window - start + 0.0001) / interval)
local granted = math.min(n, math.max(fits, 0))
local tat = start + granted * interval
if granted > 0 then
  redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX',
             math.ceil((tat - now + window) * 1000))
end
return {granted, string.format('%.6f', tat + interval - window - now)}
"""

_local_lock = threading.Lock()
# Where this process counts while Redis does not answer, and until when it does not ask it.
_fallback = LocMemCache("kiemdich-ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
_redis_skipped_until = 0.0


def _store_take(key: str, interval: float, window: float, n: int,
                now: float) -> tuple[int, float]:
    shared = caches["default"]
    if not isinstance(shared, RedisCache):
        return _local_take(shared, key, interval, window, n, now)
    if time.monotonic() >= _redis_skipped_until:
        try:
            return _redis_take(shared, key, interval, window, n, now)
        except (RedisError, OSError) as exc:
            _redis_failed(exc)
    metrics.RATE_LIMIT_FALLBACKS.inc()
    return _local_take(_fallback, key, interval, window, n, now)


def _redis_failed(exc: Exception) -> None:
    """Count in the process for a while: a frozen Redis then costs one socket timeout per
    process and period, not one per request."""
    global _redis_skipped_until
    first = _redis_skipped_until == 0.0
    _redis_skipped_until = time.monotonic() + settings.RATE_LIMIT_REDIS_RETRY_SECONDS
    if first:
        logger.warning("rate limits counted in this process: Redis did not answer (%s)",
                       type(exc).__name__)


def _redis_answered() -> None:
    global _redis_skipped_until
    if _redis_skipped_until:
        _redis_skipped_until = 0.0
        logger.warning("rate limits counted in Redis again")


def _redis_take(shared: RedisCache, key: str, interval: float, window: float, n: int,
                now: float) -> tuple[int, float]:
    granted, wait = _GCRA.run(shared, [shared.make_and_validate_key(key)],
                              (interval, window, n, now))
    _redis_answered()
    return int(granted), float(wait)


_GCRA = HeldScript(_GCRA_LUA)


def _local_take(store: BaseCache, key: str, interval: float, window: float, n: int,
                now: float) -> tuple[int, float]:
    """A per-process cache (locmem, for development and tests): a lock makes the read and
    the write one step."""
    with _local_lock:
        granted, tat, wait = _gcra(store.get(key), now, interval, window, n)
        if granted:  # rounded as the script's text is, so both stores count alike
            store.set(key, round(tat, 6), timeout=max(1, math.ceil(tat - now)))
    return granted, round(wait, 6)


def caller_allowance(request: HttpRequest, bucket: str, limit: Limit, n: int,
                     window: int = 60) -> Allowance:
    """Take `n` events from the caller's bucket of a `rate_limited` operation: the same
    bucket, so events counted one by one and in batches share one allowance."""
    caller, per_caller = caller_key(request), setting_limit(limit)
    if caller is None or per_caller is None:
        return Allowance(n, 0)
    return take(f"{bucket}:{caller}", per_caller, window, n)


def caller_key(request: HttpRequest) -> str | None:
    """The account (or dedicated reader) making the request, once authenticated."""
    device = getattr(request, "device", None)
    if device is not None:
        return f"device:{device.pk}"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return None


Limit = int | str | None


def setting_limit(limit: Limit) -> int | None:
    """A limit given as a number, or the name of a setting read now."""
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
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> object:
            try:
                ip_limit, caller_limit = setting_limit(per_ip), setting_limit(per_user)
                if ip_limit is not None:
                    hit(f"{bucket}:ip:{client_ip(request)}", ip_limit, window)
                caller = caller_key(request)
                if caller_limit is not None and caller is not None:
                    hit(f"{bucket}:{caller}", caller_limit, window)
            except RateLimited as exc:
                return too_many(request, exc)
            return view(request, *args, **kwargs)

        # Marks on the function (mypy knows no attributes on a function but its own): the
        # limits, for audits of the API; and, as django-ninja resolves string annotations in
        # the wrapper's module, the view's own signature, already resolved.
        wrapper.rate_limit = (bucket, per_ip, per_user, window)  # type: ignore[attr-defined]
        try:
            signature = inspect.signature(view, eval_str=True)
        except NameError:
            signature = inspect.signature(view)
        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        return wrapper

    return decorate


def too_many(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(exc.as_dict(), status=429)
    else:
        response = HttpResponse(str(exc.message), status=429,
                                content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(exc.retry_after)
    return response
