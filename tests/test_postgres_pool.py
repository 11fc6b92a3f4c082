"""The pool's check of a connection handed out (kiemdich.core.postgres_pool): a connection
PostgreSQL closed fails it, so the pool replaces it; a working one passes."""

from __future__ import annotations

import select

import psycopg
import pytest
from django.db import connection

from kiemdich.core.postgres_pool.base import check_when_readable

pytestmark = pytest.mark.postgres_only


def _connect() -> psycopg.Connection:
    params = connection.settings_dict
    return psycopg.connect(host=params["HOST"], port=params["PORT"] or 5432,
                           user=params["USER"], dbname="postgres", autocommit=True)


def test_a_working_connection_passes_and_a_terminated_one_fails():
    with _connect() as pooled, _connect() as admin:
        check_when_readable(pooled)
        pid = pooled.info.backend_pid
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # PostgreSQL's closing message reaches the idle connection's socket.
        assert select.select([pooled.fileno()], [], [], 5)[0]
        with pytest.raises(psycopg.OperationalError):
            check_when_readable(pooled)
