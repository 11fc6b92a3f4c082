"""Django's PostgreSQL backend, its pool's check of a connection handed out made cheap
(settings.DATABASES with DB_POOL).

With CONN_HEALTH_CHECKS Django gives psycopg's pool `ConnectionPool.check_connection`: an
empty query, a round trip to PostgreSQL at every checkout — every request draws a connection
— about a twentieth of a reader scan's app CPU. A connection PostgreSQL closed (a restart, a
failover, a terminated backend) has its closing message and end of stream waiting on its
socket; a working idle one has nothing to read. So the round trip is made only when the
socket has something to read or the connection is no longer in good state: a closed one is
still found and replaced at checkout, not by the request that drew it.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq
from psycopg_pool import ConnectionPool


def check_when_readable(conn: psycopg.Connection) -> None:
    """The pool's check: the empty query only for a connection with something waiting."""
    if conn.closed or conn.pgconn.status != pq.ConnStatus.OK or \
            select.select([conn.fileno()], [], [], 0)[0]:
        ConnectionPool.check_connection(conn)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> Any:
        pool = super().pool
        # Django names its check when it makes the pool, and takes no other (a `check` in
        # the pool's options would be given twice): the pool's own attribute is replaced.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_when_readable
        return pool
