"""Reads that may lag, from a replica: the dashboard, coverage, tracing pages and exports,
and GET /api/v1/stats.

Off unless `DATABASE_REPLICA_URL` is set (settings.py adds the `replica` database, on a
cluster HAProxy's read port: any running replica, the leader when none is). Then:

- every write goes to the leader (`default`), and so does every read, except inside a view
  decorated with `@replica_reads`, on a GET, and only while no transaction is open on the
  leader (a transaction's reads must see its own writes — the audit chain reads its last
  entry before it appends the next);
- **read your writes**: a user who wrote anything (any other method than GET, HEAD or
  OPTIONS) reads from the leader for `REPLICA_PIN_SECONDS` afterwards (default 10, well
  above the replica's lag under load), so the page after a form shows what the form did;
- the page says how fresh its data is: `data_freshness` in the template context (the
  replica's lag in seconds, measured on it before the view runs); an API answer says it
  in a field (`replica_lag_of`).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from kiemdich.core.hooks import HookMiddleware

REPLICA = "replica"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_reading = contextvars.ContextVar("replica_reads", default=False)


def enabled() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when a replica is configured."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if _reading.get() and not connections["default"].in_atomic_block:
            return REPLICA
        return "default"

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the same database, one of them a copy

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"


@contextmanager
def reading_from_replica() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def _pin_key(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    return f"leader-pin:{user.pk}" if user is not None and user.is_authenticated else None


class PinToLeaderAfterWrite(HookMiddleware):
    """Middleware: a user who just wrote reads from the leader for a while."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        key = _pin_key(request)
        if enabled() and key and request.method not in SAFE_METHODS:
            cache.set(key, 1, settings.REPLICA_PIN_SECONDS)
        return response


def replica_lag_seconds() -> float | None:
    """How far the replica is behind the leader, in seconds (0 when it has replayed all it
    received); None when the read port is on the leader itself, or unreachable."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = "
                "pg_last_wal_replay_lsn() THEN 0 ELSE EXTRACT(EPOCH FROM now() - "
                "pg_last_xact_replay_timestamp()) END")
            in_recovery, lag = cursor.fetchone()
    except DatabaseError:
        return None
    return float(lag or 0) if in_recovery else None


Answer = TypeVar("Answer")  # a page's response, or what an API operation returns


def replica_reads(view: Callable[..., Answer]) -> Callable[..., Answer]:
    """The view's reads go to the replica (GET, not pinned to the leader, replica reachable);
    `request.data_freshness` says how far behind it is."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Answer:
        key = _pin_key(request)
        if (not enabled() or request.method not in SAFE_METHODS
                or (key and cache.get(key))):
            return view(request, *args, **kwargs)
        lag = replica_lag_seconds()
        if lag is None:
            return view(request, *args, **kwargs)
        # Read back with getattr (a request read from the leader has none).
        request.data_freshness = {"lag_seconds": round(lag, 1)}  # type: ignore[attr-defined]
        with reading_from_replica():
            return view(request, *args, **kwargs)

    return wrapper


def replica_lag_of(request: HttpRequest) -> float | None:
    """The replica's lag when the request's reads went to it (seconds), else None."""
    fresh = getattr(request, "data_freshness", None)
    return fresh["lag_seconds"] if fresh else None


def freshness(request: HttpRequest) -> dict:
    """Context processor: the replica's lag when the page was read from it."""
    return {"data_freshness": getattr(request, "data_freshness", None)}
