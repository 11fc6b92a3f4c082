"""Publish/subscribe port for the live feed, with three adapters chosen by PUBSUB_BACKEND.

- ``memory``: asyncio queues inside one process (one server process, e.g. SQLite setups);
  publishing is thread-safe, so a sync view in a worker thread can feed an async stream.
- ``postgres``: LISTEN/NOTIFY, so every process connected to the database sees every event.
- ``redis``: Redis pub/sub, for many processes or machines without loading the database.

Publishing is synchronous (it runs from `transaction.on_commit` after a scan is stored);
subscribing is asynchronous (the SSE view is async) and yields a queue filled by the adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Coroutine
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections

log = logging.getLogger(__name__)


def venue_channel(venue_id: int) -> str:
    # Unquoted-identifier safe for LISTEN, and the same name on every backend.
    return f"kd_venue_{int(venue_id)}"


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, cls=DjangoJSONEncoder, ensure_ascii=False)


class Broker:
    def publish(self, channel: str, message: dict[str, Any]) -> None:
        raise NotImplementedError

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[asyncio.Queue]:
        """An async context manager yielding a queue of messages; it is ready (listening)
        when entered."""
        raise NotImplementedError


class MemoryBroker(Broker):
    def __init__(self) -> None:
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}
        self._lock = threading.Lock()

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        # Round-trip through JSON so subscribers see exactly what the other backends deliver.
        payload = json.loads(_encode(message))
        with self._lock:
            targets = list(self._subscribers.get(channel, ()))
        for loop, queue in targets:
            with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
                loop.call_soon_threadsafe(queue.put_nowait, payload)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue]:
        queue: asyncio.Queue = asyncio.Queue()
        member = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers.setdefault(channel, set()).add(member)
        try:
            yield queue
        finally:
            with self._lock:
                self._subscribers.get(channel, set()).discard(member)


class PostgresBroker(Broker):
    """NOTIFY is sent on Django's connection; each subscriber LISTENs on its own async
    connection (an SSE stream is long-lived, so it cannot borrow a request's connection)."""

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [channel, _encode(message)])

    @staticmethod
    def _conninfo() -> dict[str, Any]:
        db = connections["default"].settings_dict
        info = {"dbname": db["NAME"], "user": db.get("USER") or None,
                "password": db.get("PASSWORD") or None, "host": db.get("HOST") or None,
                "port": db.get("PORT") or None}
        return {key: value for key, value in info.items() if value}

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue]:
        import psycopg
        from psycopg import sql

        queue: asyncio.Queue = asyncio.Queue()
        conn = await psycopg.AsyncConnection.connect(autocommit=True, **self._conninfo())
        try:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

            async def pump() -> None:
                async for note in conn.notifies():
                    queue.put_nowait(json.loads(note.payload))

            async with _pumping(pump()):
                yield queue
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def _pumping(pump: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run a subscription's pump while the subscriber listens; stop it when they leave."""
    task = asyncio.create_task(pump)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


class RedisBroker(Broker):
    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self._client = redis.Redis.from_url(url)

    @staticmethod
    def _key(channel: str) -> str:
        # Deployments (and test databases) sharing one Redis do not hear each other.
        return f"{connections['default'].settings_dict['NAME']}:{channel}"

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        self._client.publish(self._key(channel), _encode(message))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue]:
        import redis.asyncio as aioredis

        queue: asyncio.Queue = asyncio.Queue()
        client = aioredis.Redis.from_url(self.url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._key(channel))

            async def pump() -> None:
                async for item in pubsub.listen():
                    if item.get("type") == "message":
                        queue.put_nowait(json.loads(item["data"]))

            async with _pumping(pump()):
                yield queue
        finally:
            await pubsub.aclose()
            await client.aclose()


@lru_cache(maxsize=4)
def _broker_for(backend: str, redis_url: str) -> Broker:
    if backend == "memory":
        return MemoryBroker()
    if backend == "postgres":
        return PostgresBroker()
    if backend == "redis":
        return RedisBroker(redis_url)
    raise ValueError(f"PUBSUB_BACKEND must be memory, postgres or redis, not {backend!r}")


def broker() -> Broker:
    return _broker_for(settings.PUBSUB_BACKEND, settings.REDIS_URL)


def publish(channel: str, message: dict[str, Any]) -> None:
    """Send an event; a failure is logged, never raised: the scan is already stored."""
    try:
        broker().publish(channel, message)
    except Exception:
        log.exception("live feed: publishing to %s failed", channel)
