"""Every connection the platform opens to Redis, with the same short socket timeouts.

redis-py waits 5 s by default to connect and 5 s for each answer: a frozen Redis (a hung
machine, a full network buffer) then held every request thread that touched it, and the whole
API stopped. Here a connection attempt and every read give up after `REDIS_TIMEOUT_MS`
(default 250 ms; a healthy Redis answers in well under a millisecond), so a Redis that is
down or frozen costs a request a fraction of a second, and what uses Redis decides what to do
without it (kiemdich.core.caching.SoftCache, the live feed's resubscription, the readiness check).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.core.cache.backends import redis as django_redis
from redis.connection import ConnectionInterface
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError


def connection_options() -> dict[str, Any]:
    """Socket options for a redis-py client or connection pool (the cache's OPTIONS too)."""
    seconds = settings.REDIS_TIMEOUT_MS / 1000
    return {"socket_connect_timeout": seconds, "socket_timeout": seconds}


def redis_in_use() -> bool:
    """Whether this deployment depends on Redis: the shared cache or the live feed's pub/sub."""
    backend = str(settings.CACHES["default"]["BACKEND"])
    return backend.endswith("RedisCache") or settings.PUBSUB_BACKEND == "redis"


class _HeldClients(django_redis.RedisCacheClient):
    """Django's cache client with one redis-py client a connection pool. Django's builds a
    new one (its parser, its callbacks, its options) at every cache call, which cost a
    check-in more CPU than its cache calls' round trips. redis-py's clients are thread-safe:
    each command takes a connection from the pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        # Django's own private parts of its client, which the stubs do not declare.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        held = self._clients.get(id(pool))
        if held is None:
            held = self._clients.setdefault(
                id(pool), self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return held


class RedisCache(django_redis.RedisCache):
    """The shared cache's backend (settings.CACHES with REDIS_URL): Django's, its clients
    held (_HeldClients)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _HeldClients


@lru_cache(maxsize=4)
def _client(url: str, timeout_ms: int) -> redis.Redis:
    return redis.Redis.from_url(url, **connection_options())


def client(url: str | None = None) -> redis.Redis:
    """This process's synchronous client of `url` (default `REDIS_URL`); thread-safe, it
    holds a pool of connections."""
    return _client(url or settings.REDIS_URL, settings.REDIS_TIMEOUT_MS)


def async_client(url: str | None = None) -> aioredis.Redis:
    """A new asyncio client of `url` (default `REDIS_URL`); the caller closes it (`aclose`)."""
    return aioredis.Redis.from_url(url or settings.REDIS_URL, **connection_options())


def ping() -> None:
    """Raise (redis.RedisError) unless Redis answers within the timeout."""
    client().ping()


# The connection this thread sends scripts on: (the cache's client, the process, the
# connection), so that another cache (settings overridden) or a forked process opens its own.
_held = threading.local()


class HeldScript:
    """A Lua script of the shared cache's Redis, sent as EVALSHA (EVAL once per Redis after a
    restart) on a connection this thread keeps. redis-py's own call takes a connection from
    its pool and gives it back around every command — two locks, a poll of the socket, its
    event hooks and timings — which cost more CPU than the round trip. The connection is the
    cache's (its URL, password, TLS, timeouts); any failure drops it and reaches the caller,
    which decides what to do without Redis (the rate limits count in the process, the soft
    cache answers a miss).

    A kept connection found closed is tried once more on a new one: after Redis restarts,
    every thread that did not ask it during the outage still holds a socket to the old server,
    and its first call must not count as an outage. A timeout is not tried again: a frozen
    Redis would hold the request twice as long."""

    def __init__(self, lua: str) -> None:
        self.lua = lua
        self.sha = hashlib.sha1(lua.encode(), usedforsecurity=False).hexdigest()

    def run(self, shared: django_redis.RedisCache, keys: Sequence[str],
            args: Sequence[Any]) -> Any:
        """The script's answer; `keys` as the cache names them (make_and_validate_key)."""
        conn, kept = _held_connection(shared)
        try:
            return self._evaluate(conn, keys, args)
        except RedisConnectionError:
            _drop(conn)
            if not kept:
                raise
        except BaseException:
            _drop(conn)
            raise
        conn, _kept = _held_connection(shared)
        try:
            return self._evaluate(conn, keys, args)
        except BaseException:
            _drop(conn)
            raise

    def _evaluate(self, conn: ConnectionInterface, keys: Sequence[str],
                  args: Sequence[Any]) -> Any:
        try:
            conn.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
            return conn.read_response()
        except NoScriptError:
            conn.send_command("EVAL", self.lua, len(keys), *keys, *args)
            return conn.read_response()


def _held_connection(shared: django_redis.RedisCache) -> tuple[ConnectionInterface, bool]:
    """This thread's connection to the cache's Redis, and whether it was kept from before."""
    owner, pid = shared._cache, os.getpid()
    held = getattr(_held, "value", None)
    if held is not None and held[0] is owner and held[1] == pid:
        return held[2], True
    if held is not None and held[1] == pid:
        held[2].disconnect()
    conn = owner.get_client(None, write=True).connection_pool.make_connection()
    _held.value = (owner, pid, conn)
    return conn, False


def _drop(conn: ConnectionInterface) -> None:
    _held.value = None
    conn.disconnect()
