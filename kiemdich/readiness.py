"""Whether this process can serve: the parts it needs answer (`GET /api/v1/ready`).

Liveness (`/api/v1/health`) only says the process answers; a supervisor restarts a process
that fails it. Readiness says whether requests would succeed now; a load balancer stops
sending traffic to a server that fails it, and restarting would not help. Each check is
bounded: the database by its pool and connect timeouts (DB_POOL_TIMEOUT, DB_CONNECT_TIMEOUT),
Redis by REDIS_TIMEOUT_MS.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from redis import RedisError

from kiemdich.core import redis_client

log = logging.getLogger(__name__)


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        log.warning("readiness: database unavailable: %s", type(exc).__name__)
        return False
    return True


def redis_answers() -> bool | None:
    """True or False, or None where this deployment does not use Redis."""
    if not redis_client.redis_in_use():
        return None
    try:
        redis_client.ping()
    except (RedisError, OSError) as exc:
        log.warning("readiness: Redis unavailable: %s", type(exc).__name__)
        return False
    return True


def parts() -> dict[str, bool | None]:
    return {"database": database_answers(), "redis": redis_answers()}


def down(checked: dict[str, bool | None]) -> list[str]:
    return [name for name, answered in checked.items() if answered is False]
