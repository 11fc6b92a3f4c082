"""The live feed as Server-Sent Events: one event per accepted scan at a venue."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from django.core.serializers.json import DjangoJSONEncoder

from kiemdich.scans.pubsub import LOST, RESUBSCRIBED, broker, venue_channel

HEARTBEAT_SECONDS = 15.0
READY = "retry: 3000\nevent: ready\ndata: {}\n\n"


async def event_stream(venue_id: int,
                       heartbeat: float = HEARTBEAT_SECONDS) -> AsyncIterator[str]:
    """SSE text: `event: ready` once subscribed, `event: scan` per scan, and a comment
    every `heartbeat` seconds so proxies keep the connection and clients notice a dead one.

    When the broker's connection is lost (Redis restarting) the stream stays open and says
    `event: lost`; it says `event: ready` again once subscribed again (scans in between were
    not delivered: the page shows it was disconnected)."""
    async with broker().subscribe(venue_channel(venue_id)) as queue:
        yield READY
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), heartbeat)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if event == LOST:
                yield "event: lost\ndata: {}\n\n"
            elif event == RESUBSCRIBED:
                yield READY
            else:
                data = json.dumps(event, cls=DjangoJSONEncoder, ensure_ascii=False)
                yield f"id: {event.get('scan_id', '')}\nevent: scan\ndata: {data}\n\n"
