"""Every connection the platform opens to Redis, with the same short socket timeouts.

redis-py waits 5 s by default to connect and 5 s for each answer: a frozen Redis (a hung
machine, a full network buffer) then held every request thread that touched it, and the whole
API stopped. Here a connection attempt and every read give up after `REDIS_TIMEOUT_MS`
(default 250 ms; a healthy Redis answers in well under a millisecond), so a Redis that is
down or frozen costs a request a fraction of a second, and what uses Redis decides what to do
without it (kiemdich.core.caching.SoftCache, the live feed's resubscription, the readiness check).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:  # imported where used: a deployment without Redis never loads it
    import redis
    import redis.asyncio as aioredis


def connection_options() -> dict[str, Any]:
    """Socket options for a redis-py client or connection pool (the cache's OPTIONS too)."""
    seconds = settings.REDIS_TIMEOUT_MS / 1000
    return {"socket_connect_timeout": seconds, "socket_timeout": seconds}


def redis_in_use() -> bool:
    """Whether this deployment depends on Redis: the shared cache or the live feed's pub/sub."""
    backend = str(settings.CACHES["default"]["BACKEND"])
    return backend.endswith("RedisCache") or settings.PUBSUB_BACKEND == "redis"


@lru_cache(maxsize=4)
def _client(url: str, timeout_ms: int) -> redis.Redis:
    import redis

    return redis.Redis.from_url(url, **connection_options())


def client(url: str | None = None) -> redis.Redis:
    """This process's synchronous client of `url` (default `REDIS_URL`); thread-safe, it
    holds a pool of connections."""
    return _client(url or settings.REDIS_URL, settings.REDIS_TIMEOUT_MS)


def async_client(url: str | None = None) -> aioredis.Redis:
    """A new asyncio client of `url` (default `REDIS_URL`); the caller closes it (`aclose`)."""
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(url or settings.REDIS_URL, **connection_options())


def ping() -> None:
    """Raise (redis.RedisError) unless Redis answers within the timeout."""
    client().ping()
