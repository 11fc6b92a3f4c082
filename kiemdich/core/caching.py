"""Read caches kept in one server process for a few seconds, for the hot paths' lookups
(venues and their staff, readers by token, venues by poster code); and `soft_cache`, the
shared cache used where it is only an accelerator.

An entry lives `seconds`; a change of the underlying rows clears every process's caches
(kiemdich.core.invalidation: at once in this process, by a published message in the others), and a
process that cannot hear those messages does not use its caches. Misses are never cached, so
a new row is found at once everywhere.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Hashable
from time import monotonic
from typing import Any, Generic, TypeVar

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis import RedisError

from kiemdich.core import invalidation
from kiemdich.core.redis_client import HeldScript

log = logging.getLogger(__name__)
V = TypeVar("V")


class ProcessCache(Generic[V]):
    def __init__(self, seconds: float, max_entries: int = 20_000) -> None:
        self.seconds, self.max_entries = seconds, max_entries
        self._entries: dict[Hashable, tuple[V, float]] = {}
        self._lock = threading.Lock()
        _caches.append(self)

    def get(self, key: Hashable) -> V | None:
        if not invalidation.caches_usable():
            return None
        entry = self._entries.get(key)
        return entry[0] if entry is not None and entry[1] >= monotonic() else None

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:  # expired entries of keys gone quiet
                self._entries.clear()
            self._entries[key] = (value, monotonic() + self.seconds)

    def forget(self, key: Hashable | None = None) -> None:
        """Drop one key, or every entry."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)


_caches: list[ProcessCache] = []


def forget_all() -> None:
    """Empty every process cache (access changed somewhere: kiemdich.core.invalidation)."""
    for each in _caches:
        each.forget()


class SoftCache:
    """The shared cache (Redis in production) where it only speeds a read up or counts for a
    heuristic: a failing call (Redis down, or frozen past its socket timeout) is logged and
    answered as a miss, and the cache is then left alone for `pause` seconds, so that a
    frozen Redis costs a process one timeout every few seconds instead of one per call. The
    caller reads the database instead (or skips the heuristic).

    Not for the rate limits, which decide what to refuse: they have their own fallback.
    """

    def __init__(self, pause: float = 5.0) -> None:
        self.pause = pause
        self._resume_at = 0.0

    def _call(self, operation: str, key: str, *args: object) -> Any:
        return self._guarded(operation, key, getattr(cache, operation), key, *args)

    def _guarded(self, operation: str, key: str, function: Callable[..., Any],
                 *args: object) -> Any:
        if monotonic() < self._resume_at:
            return _UNAVAILABLE
        try:
            return function(*args)
        except (RedisError, OSError) as exc:
            self._resume_at = monotonic() + self.pause
            log.warning("shared cache unavailable (%s %s: %s); reading without it for %.0f s",
                        operation, key.split(":", 1)[0], type(exc).__name__, self.pause)
            return _UNAVAILABLE

    def get(self, key: str, default: Any = None) -> Any:
        value = self._call("get", key)
        return default if value is _UNAVAILABLE or value is None else value

    def set(self, key: str, value: object, timeout: float) -> None:
        self._call("set", key, value, timeout)

    def add(self, key: str, value: object, timeout: float) -> bool | None:
        """True if the key was new, False if it existed, None if the cache is unavailable."""
        added = self._call("add", key, value, timeout)
        return None if added is _UNAVAILABLE else bool(added)

    def incr(self, key: str) -> int | None:
        """The incremented count; None if the cache is unavailable or the key expired."""
        try:
            value = self._call("incr", key)
        except ValueError:  # expired between the caller's add and this
            return None
        return None if value is _UNAVAILABLE else int(value)

    def count_new(self, member: str, counter: str, timeout: float) -> int | None:
        """Note `member` and, if it is new, count it in `counter`, both kept `timeout`
        seconds: the new count, 0 if `member` was already noted, None if the cache is
        unavailable (or `counter` expired meanwhile). One round trip on Redis."""
        try:
            counted = self._guarded("count_new", member, _count_new, member, counter, timeout)
        except ValueError:  # the counter expired between the add and the incr (not Redis)
            return None
        return None if counted is _UNAVAILABLE else counted


# KEYS[1] the member, KEYS[2] the counter; ARGV[1] the seconds they are kept. The values as
# Django's cache stores an integer (plain), so its own get/incr read them too.
_COUNT_NEW = HeldScript("""
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then return 0 end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return n
""")


def _count_new(member: str, counter: str, timeout: float) -> int:
    shared = caches["default"]
    if isinstance(shared, RedisCache):
        return int(_COUNT_NEW.run(shared, [shared.make_and_validate_key(member),
                                           shared.make_and_validate_key(counter)],
                                  [max(1, math.ceil(timeout))]))
    # Another cache (in-process, development and tests): the same in three atomic calls.
    if not cache.add(member, 1, timeout=timeout):
        return 0
    return 1 if cache.add(counter, 1, timeout=timeout) else int(cache.incr(counter))


_UNAVAILABLE = object()
soft_cache = SoftCache()
