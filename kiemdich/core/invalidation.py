"""Changes of who may scan or watch at a venue, seen by every server process at once.

The hot paths keep venues with their staff phones, readers by token and venues by poster
code in per-process caches (kiemdich.core.caching.ProcessCache). A change of access (staff added
or removed, a reader revoked, a venue saved) clears this process's caches, and once
committed is published through the live feed's broker (Redis pub/sub, or PostgreSQL
NOTIFY):

- on ACCESS_CHANNEL, where every server process listens on a thread of its own and clears
  its caches on each message;
- on the venue's live channel, where the open live streams of that venue check their viewer
  again and close if they may no longer watch (kiemdich.scans.live).

A process that is not listening (starting, or its connection to the broker lost) does not
use its caches at all: each lookup reads the database until it listens again, and on each
(re)subscription it clears them, since what was published meanwhile was missed. So a
revocation is never answered from a stale cache for longer than the broker takes to deliver
a message. With PUBSUB_BACKEND=memory (one process) the local clearing is all there is.

Grants need no message: a refusal is never answered from a cache (kiemdich.scans.access
reads the venue again before refusing), so a staff member just added is accepted at once on
every process.

Only the server entry points (wsgi.py, asgi.py) `enable` listening: a management command or
the test process has no thread holding a connection.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings
from django.db import transaction

from kiemdich.core.pubsub import broker, publish, venue_channel

log = logging.getLogger(__name__)

ACCESS_CHANNEL = "kd_access"
ACCESS_CHANGED = {"access": "changed"}
RESUBSCRIBE_SECONDS = 1.0

_enabled = False
_listening = threading.Event()
_listener_pid: int | None = None
_lock = threading.Lock()


def enable() -> None:
    """This process serves requests: listen for changes (the thread starts on first use,
    in the process that uses it, so that a server forking its workers gives each its own)."""
    global _enabled
    _enabled = True


def caches_usable() -> bool:
    """Whether this process's caches may answer: always without other processes to hear
    from, otherwise only while it listens for changes."""
    if not _enabled or settings.PUBSUB_BACKEND == "memory":
        return True
    if _listener_pid != os.getpid():
        _start_listener()
    return _listening.is_set()


def changed(venue_id: int) -> None:
    """Access at this venue changed: clear this process's caches now, and announce it to
    every process (and to the venue's live streams) once the change is committed."""
    _clear()
    transaction.on_commit(lambda: _announce(venue_id))


def _announce(venue_id: int) -> None:
    _clear()  # what another thread of this process cached before the commit
    publish(ACCESS_CHANNEL, {"venue": venue_id})
    publish(venue_channel(venue_id), ACCESS_CHANGED)


def _clear() -> None:
    # A cycle: kiemdich.core.caching imports this module (its caches ask `caches_usable`).
    from kiemdich.core.caching import forget_all

    forget_all()


def _start_listener() -> None:
    global _listener_pid
    with _lock:
        if _listener_pid == os.getpid():
            return
        _listening.clear()
        threading.Thread(target=_listen_forever, name="kiemdich-access", daemon=True).start()
        _listener_pid = os.getpid()


def _subscribed() -> None:
    _clear()
    _listening.set()
    log.info("access changes: listening")


def _received(message: dict) -> None:
    _clear()


def _listen_forever() -> None:
    while True:
        try:
            broker().listen(ACCESS_CHANNEL, _subscribed, _received)
            failure = "the connection ended"
        except Exception as exc:  # noqa: BLE001 (any failure of the connection)
            failure = type(exc).__name__
        if _listening.is_set():
            log.warning("access changes: not listening (%s); reading without caches", failure)
        _listening.clear()
        time.sleep(RESUBSCRIBE_SECONDS)
