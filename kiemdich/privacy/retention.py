"""Deleting what the platform no longer needs, on a schedule (`purge_expired`).

Each kind of record has its own retention (settings RETENTION_*_DAYS), applied by the app
that holds it (its `personal_data.py` holder, kiemdich.core.personal_data). Rows go in batches of
ids so a purge of millions never holds one huge transaction or lock. What an open case holds is
kept: exactly the visits tracing reads to answer the case (every identity of the F0 — their
account's person and the rows made when their ID card was scanned at a door — their visits in
the window, and the visits at those venues during the F0's stays ± the case's margin: the
contacts' records), with the scans that made them.
Audit entries are never purged (see docs/security.md): they are the proof of who saw what.
On PostgreSQL scans and visits are partitioned by day: expired days are dropped whole
(scans.partitions.drop_expired), the held rows moved out first.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Model, QuerySet
from django.utils import timezone

from kiemdich.accounts.personal_data import purge_sms_outbox
from kiemdich.core import metrics
from kiemdich.core.personal_data import Held, Purge, holders
from kiemdich.privacy.personal_data import purge_export_files

__all__ = ["Held", "purge_export_files", "purge_sms_outbox"]

BATCH_SIZE = 5000
PURGE_LOCK_ID = 0x4B44_5052  # names the purge's advisory lock

Progress = Callable[[str, int], None]


def held_by_open_cases() -> Held:
    """What open cases hold (the holders' `hold`: tracing's cases), then what those records
    pull with them (`hold_linked`: the scans that made the held visits)."""
    held = Held()
    for hook in [h.hold for h in holders()] + [h.hold_linked for h in holders()]:
        if hook is not None:
            hook(held)
    return held


def held_people_of(person_ids: list[int], held: Held | None = None) -> set[int]:
    """Those of `person_ids` whose records an open case holds (F0 or contact)."""
    held = held or held_by_open_cases()
    return set(person_ids) & held.person_ids


def delete_in_batches(rows: QuerySet, kind: str, progress: Progress | None = None,
                      keep: set[int] | frozenset[int] = frozenset()) -> int:
    """Delete `rows` except the ids in `keep`, a batch of ids at a time (walking the primary
    key, so a batch never re-reads kept rows); returns how many went."""
    model: type[Model] = rows.model
    total = 0
    last = None
    while True:
        batch = rows.order_by("pk")
        if last is not None:
            batch = batch.filter(pk__gt=last)
        ids = list(batch.values_list("pk", flat=True)[:BATCH_SIZE])
        if not ids:
            return total
        last = ids[-1]
        doomed = [pk for pk in ids if pk not in keep]
        if doomed:
            model._default_manager.filter(pk__in=doomed).delete()
            total += len(doomed)
            if progress:
                progress(kind, total)


def purge_expired(now: datetime | None = None, progress: Progress | None = None,
                  held: Held | None = None) -> dict[str, int]:
    """Delete every expired record, each holder its own (kiemdich/*/personal_data.py), records
    before the people they point at; returns counts per kind. Safe to repeat."""
    run = Purge(now=now or timezone.now(),
                held=held if held is not None else held_by_open_cases(),
                deleter=lambda kind, rows, keep: delete_in_batches(rows, kind, progress, keep),
                person_refs=[apps.get_model(label) for holder in holders()
                             for label in holder.person_refs])
    for holder in holders():
        if holder.purge is not None:
            holder.purge(run)
    for kind, removed in run.counts.items():
        metrics.RETENTION_PURGED.labels(kind).inc(removed)
    return run.counts


@contextmanager
def exclusive_run() -> Iterator[bool]:
    """Yield True when this process may purge; False when another run holds the lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [PURGE_LOCK_ID])
            acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [PURGE_LOCK_ID])
        return
    # SQLite deployments are one machine: a file lock next to the database does the same.
    lock_path = settings.DATA_DIR / ".purge.lock"
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
