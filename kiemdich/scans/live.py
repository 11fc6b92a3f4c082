"""The live feed as Server-Sent Events: one event per accepted scan at a venue."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from django.core.serializers.json import DjangoJSONEncoder

from kiemdich import metrics
from kiemdich.scans.pubsub import broker, venue_channel

HEARTBEAT_SECONDS = 15.0


async def event_stream(venue_id: int,
                       heartbeat: float = HEARTBEAT_SECONDS) -> AsyncIterator[str]:
    """SSE text: `event: ready` once subscribed, `event: scan` per scan, and a comment
    every `heartbeat` seconds so proxies keep the connection and clients notice a dead one."""
    async with broker().subscribe(venue_channel(venue_id)) as queue:
        with metrics.LIVE_SUBSCRIBERS.track_inprogress():
            async for chunk in _stream(queue, heartbeat):
                yield chunk


async def _stream(queue: asyncio.Queue, heartbeat: float) -> AsyncIterator[str]:
    """The stream of one subscription, counted as an open stream while it lasts."""
    yield "retry: 3000\nevent: ready\ndata: {}\n\n"
    while True:
        try:
            event = await asyncio.wait_for(queue.get(), heartbeat)
        except TimeoutError:
            yield ": heartbeat\n\n"
            continue
        data = json.dumps(event, cls=DjangoJSONEncoder, ensure_ascii=False)
        metrics.LIVE_EVENTS.inc()
        yield f"id: {event.get('scan_id', '')}\nevent: scan\ndata: {data}\n\n"
