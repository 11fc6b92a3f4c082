"""Deleting what the platform no longer needs, on a schedule (`purge_expired`).

Each kind of record has its own retention (settings RETENTION_*_DAYS). Rows go in batches of
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
import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from kiemdich import metrics

BATCH_SIZE = 5000
PURGE_LOCK_ID = 0x4B44_5052  # names the purge's advisory lock

Progress = Callable[[str, int], None]


@dataclass
class Held:
    """The records open cases hold, by id: few enough to keep in memory (a case has tens of
    visits and at most thousands of contacts), and exact, unlike a time filter."""

    f0_ids: set[int] = field(default_factory=set)  # every person row of each F0
    person_ids: set[int] = field(default_factory=set)  # F0s, contacts, owners of held visits
    visit_ids: set[int] = field(default_factory=set)
    scan_ids: set[int] = field(default_factory=set)


def held_by_open_cases() -> Held:
    """What tracing reads for each open case (`tracing.services.reach`: every identity of the
    F0, their visits in the window, every visit the contacts were found from) and the scans
    that made those visits. Keeping exactly what tracing reads is what makes a case's
    exposures the same before and after a purge."""
    from kiemdich.scans.models import Visit
    from kiemdich.tracing.models import Case
    from kiemdich.tracing.services import reach

    held = Held()
    for case in Case.objects.filter(status=Case.Status.OPEN).select_related("person"):
        found = reach(case)
        held.f0_ids.update(found.f0_ids)
        held.person_ids.update(found.person_ids)
        held.visit_ids.update(found.visit_ids)
    spans: dict[tuple[int, int], list[tuple[datetime, datetime]]] = defaultdict(list)
    for chunk in _chunks(sorted(held.visit_ids)):
        for venue, person, entered, left, closes in Visit.objects.filter(
                pk__in=chunk).values_list("venue_id", "person_id", "entered_at", "left_at",
                                          "closes_at"):
            end = left or closes
            spans[(venue, person)].append((entered or end, end))
            held.person_ids.add(person)
    held.scan_ids = _scans_within(spans)
    return held


def _chunks(ids: list[int], size: int = 1000) -> Iterator[list[int]]:
    for index in range(0, len(ids), size):
        yield ids[index:index + size]


def _scans_within(spans: dict[tuple[int, int], list[tuple[datetime, datetime]]]) -> set[int]:
    """The scans of each (venue, person) inside one of their held visits: one query per
    venue on the (venue, person, scanned_at) index."""
    from kiemdich.scans.models import Scan

    per_venue: dict[int, list[int]] = defaultdict(list)
    for venue, person in spans:
        per_venue[venue].append(person)
    found: set[int] = set()
    for venue, people in per_venue.items():
        intervals = [span for person in people for span in spans[(venue, person)]]
        for chunk in _chunks(sorted(people)):
            scans = Scan.objects.filter(
                venue_id=venue, person_id__in=chunk,
                scanned_at__gte=min(start for start, _end in intervals),
                scanned_at__lte=max(end for _start, end in intervals))
            found.update(pk for pk, person, at in scans.values_list("pk", "person_id",
                                                                    "scanned_at")
                         if any(start <= at <= end for start, end in spans[(venue, person)]))
    return found


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


def _cutoff(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


def purge_expired(now: datetime | None = None, progress: Progress | None = None,
                  held: Held | None = None) -> dict[str, int]:
    """Delete every expired record; returns counts per kind. Safe to repeat."""
    from kiemdich.accounts.models import ApiToken, OneTimeCode, SmsMessage
    from kiemdich.declarations.models import Declaration
    from kiemdich.scans import partitions
    from kiemdich.scans.models import Scan, ScanNonce, Visit
    from kiemdich.tracing.models import Notice, NoticeBatch

    now = now or timezone.now()
    held = held if held is not None else held_by_open_cases()
    scans_cut = _cutoff(settings.RETENTION_SCANS_DAYS, now)
    rejected_cut = _cutoff(settings.RETENTION_REJECTED_SCANS_DAYS, now)
    counts: dict[str, int] = {}
    if partitions.enabled():
        # Whole days first (PostgreSQL): what open cases hold is moved aside, the day dropped;
        # the row deletes below then only meet the few rows outside day partitions.
        dropped = partitions.drop_expired(scans_cut, held.scan_ids, held.visit_ids)
        counts["scan_partitions"] = dropped.get("scans_scan", 0)
        counts["visit_partitions"] = dropped.get("scans_visit", 0)
        partitions.ensure_ahead(timezone.localdate(now))
    # A nonce only guards retries of a scan that still exists.
    counts["scan_nonces"] = ScanNonce.objects.filter(scanned_at__lt=scans_cut).delete()[0]
    plan: list[tuple[str, QuerySet, set[int]]] = [
        ("scans", Scan.objects.filter(accepted=True, scanned_at__lt=scans_cut), held.scan_ids),
        ("rejected_scans", Scan.objects.filter(accepted=False, scanned_at__lt=rejected_cut),
         held.scan_ids),
        ("visits", Visit.objects.filter(
            Q(entered_at__lt=scans_cut) | Q(entered_at__isnull=True, closes_at__lt=scans_cut)),
         held.visit_ids),
        # An F0's declarations (symptoms, onset) stay with the open case.
        ("declarations", Declaration.objects.filter(
            created_at__lt=_cutoff(settings.RETENTION_DECLARATIONS_DAYS, now))
         .exclude(person_id__in=held.f0_ids), set()),
        # Notices of open cases stay: the contact may still need them.
        ("notices", Notice.objects.filter(
            sent_at__lt=_cutoff(settings.RETENTION_NOTICES_DAYS, now))
         .exclude(case__status="open"), set()),
        ("notice_batches", NoticeBatch.objects.filter(
            created_at__lt=_cutoff(settings.RETENTION_NOTICES_DAYS, now))
         .exclude(case__status="open"), set()),
        # The SMS outbox: a message still pending past the cut-off was given up long ago.
        ("sms_messages", SmsMessage.objects.filter(
            created_at__lt=_cutoff(settings.RETENTION_SMS_OUTBOX_DAYS, now)), set()),
        ("otp_codes", OneTimeCode.objects.filter(
            created_at__lt=_cutoff(settings.RETENTION_OTP_DAYS, now)), set()),
        ("api_tokens", ApiToken.objects.filter(Q(expires_at__lt=now)
                                               | Q(revoked_at__lt=now - timedelta(days=1))),
         set()),
    ]
    counts.update({kind: delete_in_batches(rows, kind, progress, keep)
                   for kind, rows, keep in plan})
    # Last, once their records are gone: people known only from a scanned ID card or entered
    # by hand at a venue (or detached from a deleted account), whom nothing refers to any more.
    counts["people"] = delete_in_batches(_unreferenced_people(scans_cut), "people", progress,
                                         held.person_ids)
    counts["sms_outbox_lines"] = purge_sms_outbox(now)
    counts["export_files"] = purge_export_files(now)
    from django.contrib.sessions.models import Session

    counts["sessions"] = delete_in_batches(Session.objects.filter(expire_date__lt=now),
                                           "sessions", progress)
    for kind, removed in counts.items():
        metrics.RETENTION_PURGED.labels(kind).inc(removed)
    return counts


def _unreferenced_people(before: datetime) -> QuerySet:
    from kiemdich.declarations.models import Declaration
    from kiemdich.people.models import Person
    from kiemdich.scans.models import Scan, Visit
    from kiemdich.tracing.models import Case, Notice

    referenced = [model.objects.filter(person_id=OuterRef("pk"))
                  for model in (Scan, Visit, Declaration, Case, Notice)]
    people = Person.objects.filter(account__isnull=True, created_at__lt=before)
    for rows in referenced:
        people = people.exclude(Exists(rows))
    return people


def purge_sms_outbox(now: datetime) -> int:
    """Rewrite the development SMS outbox without its old lines (codes and notices)."""
    from kiemdich.accounts.sms import _file_lock

    path = settings.SMS_OUTBOX
    if not path.exists():
        return 0
    cutoff = _cutoff(settings.RETENTION_SMS_OUTBOX_DAYS, now)
    with _file_lock:
        lines = path.read_text("utf-8").splitlines()
        kept = [line for line in lines if not _sent_before(line, cutoff)]
        if len(kept) != len(lines):
            temporary = path.with_suffix(".tmp")
            temporary.write_text("".join(line + "\n" for line in kept), "utf-8")
            os.replace(temporary, path)
    return len(lines) - len(kept)


def _sent_before(line: str, cutoff: datetime) -> bool:
    try:
        sent_at = datetime.fromisoformat(json.loads(line)["sent_at"])
    except (ValueError, KeyError, TypeError):
        return False  # not ours to judge: keep it
    if timezone.is_naive(sent_at):
        sent_at = timezone.make_aware(sent_at)
    return sent_at < cutoff


def purge_export_files(now: datetime) -> int:
    """Remove generated export files older than their retention."""
    directory = settings.DATA_DIR / "exports"
    if not directory.is_dir():
        return 0
    cutoff = _cutoff(settings.RETENTION_EXPORTS_DAYS, now).timestamp()
    removed = 0
    for path in directory.rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


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
