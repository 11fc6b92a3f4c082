"""Daily partitions of the scans (by `scanned_at`) and visits (by `day`) on PostgreSQL.

Why: retention then drops a whole day's partition (instant, no dead rows, no vacuum) instead
of deleting millions of rows, and the hot path's indexes stay the size of a day.

- Each table has one partition per local calendar day, `scans_scan_p20211015` for
  [2021-10-15 00:00, 2021-10-16 00:00) local time (TIME_ZONE), and a DEFAULT partition so no insert
  ever fails: a scan of a day without a partition (a very late offline upload, a clock gone
  wrong, or `ensure` not run) lands there.
- `ensure(since, until)` creates the missing days (idempotently). The ingest never waits on
  it: `purge_expired` and the `ensure_partitions` command (daily cron) keep a week ahead. When
  the DEFAULT partition already holds rows of a day being created, they are moved into the new
  partition in the same transaction (PostgreSQL refuses to attach over them otherwise).
- `drop_expired(cutoff, keep_scans, keep_visits)` drops the days entirely before the cutoff.
  Rows an open case still holds are first copied back into the parent, where they land in the
  DEFAULT partition (their day no longer has one), and the day is dropped: the case keeps its
  records, the row-level purge deletes them once the case is closed.

The primary keys are (venue_id, id, <partition key>): PostgreSQL needs the partition key in
every unique constraint, and the venue id makes the same keys valid when the tables are
sharded by venue. Idempotency by (venue, nonce) lives in the unpartitioned `ScanNonce` table.
SQLite keeps plain tables: every function here does nothing there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kiemdich.core import clock

AHEAD_DAYS = 7
# table → its partition key and whether the key is a timestamp (else a date).
TABLES = {"scans_scan": ("scanned_at", True), "scans_visit": ("day", False)}
_NAME = re.compile(r"^(scans_scan|scans_visit)_p(\d{8})$")


def enabled() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = "
                       "'scans_scan'::regclass")
        return cursor.fetchone() is not None


def _bounds(table: str, day: date) -> tuple[date, date]:
    """The partition's range: days, or the day's two midnights for a timestamp key."""
    _key, timestamp = TABLES[table]
    if not timestamp:
        return day, day + timedelta(days=1)
    return clock.day_bounds(day)


def existing(table: str) -> dict[date, str]:
    """The day partitions of a table, by day."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = "
                       "i.inhrelid WHERE i.inhparent = %s::regclass", [table])
        names = [row[0] for row in cursor.fetchall()]
    days = {}
    for name in names:
        match = _NAME.match(name)
        if match:
            days[datetime.strptime(match.group(2), "%Y%m%d").date()] = name
    return days


def ensure(since: date, until: date) -> int:
    """Create the missing day partitions of both tables for [since, until]; returns how many
    were made."""
    if not enabled():
        return 0
    made = 0
    for table in TABLES:
        have = existing(table)
        day = since
        while day <= until:
            if day not in have:
                _create(table, day)
                made += 1
            day += timedelta(days=1)
    return made


def ensure_ahead(today: date | None = None) -> int:
    """The partitions from the late-scan window (SCAN_MAX_AGE_HOURS back) to AHEAD_DAYS ahead
    of `today` (default: the local date now)."""
    today = today or timezone.localdate()
    back_days = math.ceil(settings.SCAN_MAX_AGE_HOURS / 24)
    return ensure(today - timedelta(days=back_days), today + timedelta(days=AHEAD_DAYS))


def _create(table: str, day: date) -> None:
    key, _timestamp = TABLES[table]
    name = f"{table}_p{day:%Y%m%d}"
    low, high = _bounds(table, day)
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        # Names come from this module (table and a date); the bounds go as parameters where
        # PostgreSQL allows and as ISO literals in the partition bound.
        cursor.execute(f"LOCK TABLE {quote(table)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"CREATE TABLE {quote(name)} (LIKE {quote(table)} INCLUDING DEFAULTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {quote(table + '_default')} "  # noqa: S608
            f"WHERE {quote(key)} >= %s AND {quote(key)} < %s RETURNING *) "
            f"INSERT INTO {quote(name)} SELECT * FROM moved", [low, high])
        cursor.execute(f"ALTER TABLE {quote(table)} ATTACH PARTITION {quote(name)} "
                       f"FOR VALUES FROM ('{low.isoformat()}') TO ('{high.isoformat()}')")


def drop_expired(cutoff: datetime, keep_scans: Iterable[int] = (),
                 keep_visits: Iterable[int] = ()) -> dict[str, int]:
    """Drop the day partitions that end at or before `cutoff`, keeping the listed rows (they
    move to the DEFAULT partition). Returns the partitions dropped per table."""
    if not enabled():
        return {}
    keep = {"scans_scan": sorted(set(keep_scans)), "scans_visit": sorted(set(keep_visits))}
    dropped = {}
    quote = connection.ops.quote_name
    for table in TABLES:
        count = 0
        for day, name in sorted(existing(table).items()):
            _low, high = _bounds(table, day)
            end = high if isinstance(high, datetime) else clock.at(high)
            if end > cutoff:
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(name)}")
                if keep[table]:
                    cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM "  # noqa: S608
                                   f"{quote(name)} WHERE id = ANY(%s)", [keep[table]])
                cursor.execute(f"DROP TABLE {quote(name)}")
            count += 1
        dropped[table] = count
    return dropped
