"""The machine's Redis (127.0.0.1:6379) for tests that count in a real one without stopping
it: one database number per test process. Django's `cache.clear()` on Redis is FLUSHDB,
whatever the key prefix, and `make test` runs four test processes at once (two passes, two
workers each): on one shared database number one test's clear emptied another's buckets
mid-count."""

from __future__ import annotations

import os

# 8–15: the numbers below are left to a developer's own use of the same Redis.
_FIRST, _COUNT = 8, 8


def shared_redis_url() -> str:
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    postgres_pass = os.environ.get("DATABASE_URL", "").startswith("postgres")
    return f"redis://127.0.0.1:6379/{_FIRST + (worker * 2 + postgres_pass) % _COUNT}"


def shared_redis_cache(**options: object) -> dict:
    """A CACHES setting on this process's database number."""
    return {"default": {"BACKEND": "kiemdich.core.redis_client.RedisCache",
                        "LOCATION": shared_redis_url(), **options}}
