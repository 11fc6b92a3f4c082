"""The live feed as Server-Sent Events: one event per accepted scan at a venue."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from kiemdich.core import metrics
from kiemdich.core.invalidation import ACCESS_CHANGED
from kiemdich.core.pubsub import LOST, RESUBSCRIBED, broker, venue_channel
from kiemdich.scans.access import Scanner, may_still_watch

HEARTBEAT_SECONDS = 15.0
READY = "retry: 3000\nevent: ready\ndata: {}\n\n"
REVOKED = "revoked"

log = logging.getLogger(__name__)


async def event_stream(venue_id: int, may_watch: Callable[[], Awaitable[bool]],
                       heartbeat: float = HEARTBEAT_SECONDS,
                       recheck: float | None = None) -> AsyncIterator[str]:
    """SSE text: `event: ready` once subscribed, `event: scan` per scan, and a comment
    every `heartbeat` seconds so proxies keep the connection and clients notice a dead one.

    When the broker's connection is lost (Redis restarting) the stream stays open and says
    `event: lost`; it says `event: ready` again once subscribed again (scans in between were
    not delivered: the page shows it was disconnected).

    The viewer is authorised again (`may_watch`) whenever access at the venue changes (a
    message on the venue's channel: kiemdich.core.invalidation), after a resubscription (such a
    message may have been missed), and every `recheck` seconds (LIVE_RECHECK_SECONDS); once
    they may no longer watch, the stream says `event: revoked` and ends."""
    recheck = settings.LIVE_RECHECK_SECONDS if recheck is None else recheck
    async with broker().subscribe(venue_channel(venue_id)) as queue:
        with metrics.LIVE_SUBSCRIBERS.track_inprogress():
            wake = asyncio.Event()
            watcher = asyncio.create_task(_authorise(may_watch, wake, queue, recheck))
            try:
                yield READY
                while True:
                    try:
                        event = await asyncio.wait_for(queue.get(), heartbeat)
                    except TimeoutError:
                        yield ": heartbeat\n\n"
                        continue
                    if event == REVOKED:
                        yield "event: revoked\ndata: {}\n\n"
                        return
                    if event == LOST:
                        yield "event: lost\ndata: {}\n\n"
                    elif event == RESUBSCRIBED:
                        wake.set()
                        yield READY
                    elif event == ACCESS_CHANGED:
                        wake.set()
                    else:
                        data = json.dumps(event, cls=DjangoJSONEncoder, ensure_ascii=False)
                        metrics.LIVE_EVENTS.inc()
                        yield f"id: {event.get('scan_id', '')}\nevent: scan\ndata: {data}\n\n"
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher


async def _authorise(may_watch: Callable[[], Awaitable[bool]], wake: asyncio.Event,
                     queue: asyncio.Queue, recheck: float) -> None:
    """Put REVOKED on the stream's queue once its viewer may no longer watch. A check that
    fails (the database away) is not a refusal: the next one decides."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), recheck)
        wake.clear()
        try:
            allowed = await may_watch()
        except Exception as exc:  # noqa: BLE001 (logged; the next check decides)
            log.warning("live feed: authorising a viewer again failed: %s", type(exc).__name__)
            continue
        if not allowed:
            queue.put_nowait(REVOKED)
            return


def viewer_check(venue_id: int, scanner: Scanner,
                 api_token: str | None) -> Callable[[], Awaitable[bool]]:
    """`may_watch` for `event_stream`: the database read on a worker thread, whose
    connection is given back at once (a stream lives for hours)."""

    def check() -> bool:
        try:
            return may_still_watch(venue_id, scanner, api_token)
        finally:
            connection.close()

    return sync_to_async(check, thread_sensitive=False)
