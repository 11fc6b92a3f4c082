"""Read caches kept in one server process for a few seconds, for the hot paths' lookups
(venues and their staff, readers by token, venues by poster code).

An entry lives `seconds`; whoever changes the underlying rows calls `forget` (from a
post_save/post_delete signal) so this process sees the change at once, and other processes
within the TTL. Misses are never cached, so a new row is found at once everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from time import monotonic
from typing import Generic, TypeVar

V = TypeVar("V")


class ProcessCache(Generic[V]):
    def __init__(self, seconds: float, max_entries: int = 20_000) -> None:
        self.seconds, self.max_entries = seconds, max_entries
        self._entries: dict[Hashable, tuple[V, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        return entry[0] if entry is not None and entry[1] >= monotonic() else None

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:  # expired entries of keys gone quiet
                self._entries.clear()
            self._entries[key] = (value, monotonic() + self.seconds)

    def forget(self, key: Hashable | None = None) -> None:
        """Drop one key, or every entry."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
