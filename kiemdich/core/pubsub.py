"""Publish/subscribe port for the live feed, with three adapters chosen by PUBSUB_BACKEND.

- ``memory``: asyncio queues inside one process (one server process, e.g. SQLite setups);
  publishing is thread-safe, so a sync view in a worker thread can feed an async stream.
- ``postgres``: LISTEN/NOTIFY, so every process connected to the database sees every event.
- ``redis``: Redis pub/sub, for many processes or machines without loading the database.

Publishing runs from `transaction.on_commit` after a scan is stored (on Redis it hands the event
to a sender thread, which sends the waiting ones in one pipeline: the request does not wait);
subscribing is asynchronous (the SSE view is async) and yields a queue filled by the adapter.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from functools import lru_cache
from typing import Any

import psycopg
import redis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from psycopg import sql

from kiemdich.core import redis_client

log = logging.getLogger(__name__)

# Put on a subscriber's queue when its broker's connection is lost, and when it listens again.
LOST = "lost"
RESUBSCRIBED = "resubscribed"
RESUBSCRIBE_SECONDS = 1.0
LIVENESS_SECONDS = 5.0


def venue_channel(venue_id: int) -> str:
    # Unquoted-identifier safe for LISTEN, and the same name on every backend.
    return f"kd_venue_{int(venue_id)}"


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, cls=DjangoJSONEncoder, ensure_ascii=False)


class Broker:
    def publish(self, channel: str, message: dict[str, Any]) -> None:
        raise NotImplementedError

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[asyncio.Queue]:
        """An async context manager yielding a queue of messages (and of `LOST` and
        `RESUBSCRIBED`); it is ready (listening) when entered."""
        raise NotImplementedError

    def listen(self, channel: str, subscribed: Callable[[], None],
               received: Callable[[dict[str, Any]], None]) -> None:
        """Blocking, for a thread: subscribe, call `subscribed()`, then `received(message)`
        for each message until the connection fails (raise, or return)."""
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


class _Resubscribing(Broker):
    """A broker reached over a connection that can be lost (a restart of Redis or
    PostgreSQL, a network cut): its subscriptions connect again by themselves.

    Entering `subscribe` waits for the first subscription (and raises if it fails: the
    stream ends and the browser connects again). Afterwards a lost connection puts `LOST` on
    the queue, the subscription is tried again every RESUBSCRIBE_SECONDS, and `RESUBSCRIBED`
    is put once it listens again; what was published in between is not delivered.
    """

    async def _listen(self, channel: str, queue: asyncio.Queue,
                      subscribed: Callable[[], None]) -> None:
        """Subscribe, call `subscribed()`, then put each message on `queue` until the
        connection fails (raise, or return)."""
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue]:
        queue: asyncio.Queue = asyncio.Queue()
        first: asyncio.Future = asyncio.get_running_loop().create_future()
        state = {"lost": False}

        def subscribed() -> None:
            if not first.done():
                first.set_result(None)
            elif state["lost"]:
                state["lost"] = False
                log.info("live feed: %s subscribed again", channel)
                queue.put_nowait(RESUBSCRIBED)

        async def pump() -> None:
            while True:
                try:
                    await self._listen(channel, queue, subscribed)
                    failure = "the connection ended"
                except Exception as exc:  # noqa: BLE001 (any failure of the connection)
                    if not first.done():
                        first.set_exception(exc)
                        return
                    failure = type(exc).__name__
                if not state["lost"]:
                    state["lost"] = True
                    log.warning("live feed: subscription to %s lost (%s); subscribing again",
                                channel, failure)
                    queue.put_nowait(LOST)
                await asyncio.sleep(RESUBSCRIBE_SECONDS)

        async with _pumping(pump()):
            await first
            yield queue


class PostgresBroker(_Resubscribing):
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
                "port": db.get("PORT") or None,
                "connect_timeout": db.get("OPTIONS", {}).get("connect_timeout")}
        return {key: value for key, value in info.items() if value}

    async def _listen(self, channel: str, queue: asyncio.Queue,
                      subscribed: Callable[[], None]) -> None:
        conn = await psycopg.AsyncConnection.connect(autocommit=True, **self._conninfo())
        try:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            subscribed()
            async for note in conn.notifies():
                queue.put_nowait(json.loads(note.payload))
        finally:
            await conn.close()

    def listen(self, channel: str, subscribed: Callable[[], None],
               received: Callable[[dict[str, Any]], None]) -> None:
        with psycopg.connect(autocommit=True, **self._conninfo()) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            subscribed()
            while True:
                for note in conn.notifies(timeout=LIVENESS_SECONDS):
                    received(json.loads(note.payload))
                conn.execute("SELECT 1")  # a server gone away shows here


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


class RedisBroker(_Resubscribing):
    """Every connection with the short timeouts of kiemdich.core.redis_client. A subscriber that
    has heard nothing for LIVENESS_SECONDS sends a PING: a Redis that restarted closes the
    connection at once, but a frozen one only shows by not answering."""

    def __init__(self, url: str) -> None:
        self.url = url

    @staticmethod
    def _key(channel: str) -> str:
        # Deployments (and test databases) sharing one Redis do not hear each other.
        return f"{connections['default'].settings_dict['NAME']}:{channel}"

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Handed to this process's sender thread (`_Sender`): the request does not wait for
        Redis, and events published close together leave in one round trip."""
        _sender(self.url).put(self._key(channel), _encode(message))

    async def _listen(self, channel: str, queue: asyncio.Queue,
                      subscribed: Callable[[], None]) -> None:
        client = redis_client.async_client(self.url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._key(channel))
            subscribed()
            pinged = False
            while True:
                item = await pubsub.get_message(timeout=LIVENESS_SECONDS)
                if item is None:
                    if pinged:
                        raise redis.ConnectionError("no answer to PING")
                    await pubsub.ping()
                    pinged = True
                    continue
                pinged = False
                if item.get("type") == "message":
                    queue.put_nowait(json.loads(item["data"]))
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()

    def listen(self, channel: str, subscribed: Callable[[], None],
               received: Callable[[dict[str, Any]], None]) -> None:
        pubsub = redis_client.client(self.url).pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self._key(channel))
            subscribed()
            pinged = False
            while True:
                item = pubsub.get_message(timeout=LIVENESS_SECONDS)
                if item is None:
                    if pinged:
                        raise redis.ConnectionError("no answer to PING")
                    pubsub.ping()
                    pinged = True
                    continue
                pinged = False
                if item.get("type") == "message":
                    received(json.loads(item["data"]))
        finally:
            with contextlib.suppress(Exception):
                pubsub.close()


class _Sender:
    """A thread that sends the events of this process to Redis, all those waiting at once in
    one pipeline (one round trip). The scan is committed before its event is queued; an event
    is at most as lost as it was when published from the request (a Redis down or frozen:
    logged, dropped; a process that dies takes its queue along). At most MAX_WAITING events
    wait: past that, while Redis does not answer, the oldest are dropped."""

    MAX_WAITING = 10_000
    MAX_BATCH = 500

    def __init__(self, url: str) -> None:
        self.url = url
        self._waiting: collections.deque[tuple[str, str]] = collections.deque(
            maxlen=self.MAX_WAITING)
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def put(self, key: str, payload: str) -> None:
        with self._ready:
            self._waiting.append((key, payload))
            if self._thread is None or self._pid != os.getpid():  # none yet, or forked
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="live-feed-sender",
                                                daemon=True)
                self._thread.start()
            self._ready.notify()

    def _take(self) -> list[tuple[str, str]]:
        with self._ready:
            while not self._waiting:
                self._ready.wait()
            return [self._waiting.popleft()
                    for _ in range(min(len(self._waiting), self.MAX_BATCH))]

    def _run(self) -> None:
        while True:
            batch = self._take()
            try:
                pipe = redis_client.client(self.url).pipeline(transaction=False)
                for key, payload in batch:
                    pipe.publish(key, payload)
                pipe.execute()
            except Exception:
                log.exception("live feed: publishing %d events failed", len(batch))


@lru_cache(maxsize=4)
def _sender(url: str) -> _Sender:
    return _Sender(url)


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
