"""Keeping the rollups current: each day is recomputed from the raw tables, idempotently.

A day's rows are deleted and re-inserted with one INSERT … SELECT … GROUP BY per table inside
one transaction, so a refresh can run as often as wanted, concurrently with the dashboard,
and a late offline upload only needs its day refreshed again. The day boundaries are local
midnights (TIME_ZONE) turned into UTC instants, so a scan at 23:59 and one at 00:01
land on their own calendar days whatever the database's time zone.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, Max, Min, Model, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from kiemdich.areas.models import Area
from kiemdich.core import clock
from kiemdich.declarations.models import Declaration
from kiemdich.people.models import Person
from kiemdich.reports.models import (
    AreaDay,
    AreaRegistered,
    AreaRegistration,
    AreaRunningTotal,
    AreaVenueSeen,
    CitizenRegistration,
    DailyRollup,
    DeclarantDay,
    DeclarantSeen,
    DeclarationRollup,
    RollupState,
    VenueDay,
    VenueRegistration,
    VenueSeen,
)
from kiemdich.scans.models import Scan
from kiemdich.venues.models import Venue


def max_range_days() -> int:
    """The longest range of days a statistics query may ask (and the rollups keep fresh)."""
    return int(getattr(settings, "REPORT_MAX_RANGE_DAYS", 92))


def default_since(today: date | None = None) -> date:
    """Scans may arrive up to SCAN_MAX_AGE_HOURS late (offline readers): refresh that far."""
    hours = getattr(settings, "SCAN_MAX_AGE_HOURS", 72)
    return (today or clock.today()) - timedelta(days=math.ceil(hours / 24))


def declarant_days_read_since(today: date) -> date:
    """The oldest day of DeclarantDay a refresh still reads: a declarant's previous day
    (`_declarants_seen`) is looked for over the longest report range before each day of the
    late-scan window. An older row counts for nothing: reports' holder purges it."""
    return default_since(today) - timedelta(days=max_range_days())


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _scan_tables() -> tuple[str, str]:
    return _table(Scan), _table(Venue)


def _refresh_day(cursor: CursorWrapper, day: date) -> None:
    scans, venues = _scan_tables()
    start, end = (connection.ops.adapt_datetimefield_value(t) for t in clock.day_bounds(day))
    day_value = connection.ops.adapt_datefield_value(day)
    for model in (DailyRollup, VenueDay, VenueSeen, DeclarationRollup, DeclarantDay,
                  DeclarantSeen):
        model.objects.filter(day=day).delete()
    # Only quoted table names from the models are interpolated; every value is a parameter.
    cursor.execute(
        f"INSERT INTO {_table(VenueDay)} (day, venue_id, area_id, sector, venue_type, scans) "  # noqa: S608
        f"SELECT %s, s.venue_id, v.area_id, v.sector, v.venue_type, COUNT(*) "
        f"FROM {scans} s JOIN {venues} v ON v.id = s.venue_id "
        f"WHERE s.accepted = %s AND s.scanned_at >= %s AND s.scanned_at < %s "
        f"GROUP BY s.venue_id, v.area_id, v.sector, v.venue_type",
        [day_value, True, start, end])
    cursor.execute(
        f"INSERT INTO {_table(DailyRollup)} "  # noqa: S608
        f"(day, area_id, sector, venue_type, scans_in, scans_out, venues_active) "
        f"SELECT %s, v.area_id, v.sector, v.venue_type, "
        f"SUM(CASE WHEN s.direction = 'in' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN s.direction = 'out' THEN 1 ELSE 0 END), COUNT(DISTINCT s.venue_id) "
        f"FROM {scans} s JOIN {venues} v ON v.id = s.venue_id "
        f"WHERE s.accepted = %s AND s.scanned_at >= %s AND s.scanned_at < %s "
        f"GROUP BY v.area_id, v.sector, v.venue_type",
        [day_value, True, start, end])

    cursor.execute(
        f"INSERT INTO {_table(VenueSeen)} "  # noqa: S608
        f"(day, area_id, sector, venue_type, prev_day, venues) "
        f"SELECT %s, area_id, sector, venue_type, prev, COUNT(*) FROM ("
        f"SELECT t.area_id, t.sector, t.venue_type, (SELECT MAX(p.day) FROM {_table(VenueDay)} p "
        f"WHERE p.venue_id = t.venue_id AND p.day < %s AND p.day >= %s) AS prev "
        f"FROM {_table(VenueDay)} t WHERE t.day = %s) seen "
        f"GROUP BY area_id, sector, venue_type, prev",
        [day_value, day_value,
         connection.ops.adapt_datefield_value(day - timedelta(days=max_range_days())),
         day_value])
    declarations = _table(Declaration)
    cursor.execute(
        f"INSERT INTO {_table(DeclarationRollup)} "  # noqa: S608
        f"(day, area_id, declarations, symptomatic, declarants) "
        f"SELECT %s, d.area_id, COUNT(*), SUM(CASE WHEN d.has_symptoms = %s THEN 1 ELSE 0 END), "
        f"COUNT(DISTINCT d.person_id) FROM {declarations} d "
        f"WHERE d.local_date = %s AND d.area_id IS NOT NULL GROUP BY d.area_id",
        [day_value, True, day_value])
    cursor.execute(
        f"INSERT INTO {_table(DeclarantDay)} (day, area_id, person_id) "  # noqa: S608
        f"SELECT DISTINCT %s, d.area_id, d.person_id FROM {declarations} d "
        f"WHERE d.local_date = %s AND d.area_id IS NOT NULL",
        [day_value, day_value])
    _declarants_seen(day)
    _area_levels(day)
    _running_totals(day)


def _paths(area_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each area's id → the ids of every area from the root down to it (itself included)."""
    return {pk: [int(part) for part in path.strip("/").split("/") if part]
            for pk, path in Area.objects.filter(pk__in=set(area_ids))
            .values_list("pk", "path")}


def _summed_up(rows: Iterable[tuple], width: int) -> dict[tuple, list[int]]:
    """(area, *key, *figures) rows → {(ancestor, *key): figures summed} for every area above
    and at each row's area."""
    rows = list(rows)
    paths = _paths(row[0] for row in rows)
    sums: dict[tuple, list[int]] = {}
    for row in rows:
        key, figures = row[1:len(row) - width], row[len(row) - width:]
        for ancestor in paths.get(row[0], [row[0]]):
            target = sums.setdefault((ancestor, *key), [0] * width)
            for i, value in enumerate(figures):
                target[i] += int(value or 0)
    return sums


def _area_levels(day: date) -> None:
    """The day's commune rollups summed to every area level (AreaDay, AreaVenueSeen), written
    in (area, …) order: the dashboard reads an area's rows together."""
    AreaDay.objects.filter(day=day).delete()
    AreaVenueSeen.objects.filter(day=day).delete()
    venues = _summed_up(DailyRollup.objects.filter(day=day).values_list(
        "area_id", "sector", "venue_type", "scans_in", "scans_out", "venues_active"), 3)
    people = _summed_up(DeclarationRollup.objects.filter(day=day).values_list(
        "area_id", "declarations", "symptomatic"), 2)
    rows = [AreaDay(day=day, area_id=area, sector=sector, venue_type=venue_type,
                    scans_in=n_in, scans_out=n_out, venues_active=active)
            for (area, sector, venue_type), (n_in, n_out, active) in venues.items()]
    rows += [AreaDay(day=day, area_id=area, declarations=n, symptomatic=symptomatic)
             for (area,), (n, symptomatic) in people.items()]
    rows.sort(key=lambda r: (r.area_id, r.sector, r.venue_type))
    AreaDay.objects.bulk_create(rows, batch_size=2000)
    seen = _summed_up(VenueSeen.objects.filter(day=day).values_list(
        "area_id", "sector", "venue_type", "prev_day", "venues"), 1)
    AreaVenueSeen.objects.bulk_create(
        [AreaVenueSeen(day=day, area_id=area, sector=sector, venue_type=venue_type,
                       prev_day=prev, venues=n)
         for (area, sector, venue_type, prev), (n,) in sorted(
             seen.items(), key=lambda item: (item[0][0], item[0][1], item[0][2],
                                             item[0][3] or date.min))],
        batch_size=2000)


RUNNING = ("scans_in", "scans_out", "declarations", "symptomatic")


def _running_totals(day: date) -> None:
    """AreaRunningTotal from `day` to the last day it is kept for: each day's rows are those
    of the day before plus that day's AreaDay, per (area, sector). A day refreshed again (late
    scans) changes every total after it, so they are rewritten in the same transaction; with
    none kept before `day` (the first refresh, or level rollups made before these totals)
    they are built from the first day of AreaDay."""
    before = AreaRunningTotal.objects.filter(day__lt=day).aggregate(d=Max("day"))["d"]
    last = max(day, AreaRunningTotal.objects.aggregate(d=Max("day"))["d"] or day)
    if before is None:
        level = AreaDay.objects.aggregate(first=Min("day"), last=Max("day"))
        day, last = min(day, level["first"] or day), max(last, level["last"] or last)
    totals: dict[tuple[int, str], list[int]] = {
        (area, sector): list(values) for area, sector, *values in
        AreaRunningTotal.objects.filter(day=before).values_list("area_id", "sector", *RUNNING)}
    by_day: dict[date, list[tuple]] = defaultdict(list)
    for row in (AreaDay.objects.filter(day__gte=day, day__lte=last)
                .values("day", "area_id", "sector").annotate(*(Sum(n) for n in RUNNING))
                .values_list("day", "area_id", "sector", *(f"{n}__sum" for n in RUNNING))
                .order_by()):
        by_day[row[0]].append(row[1:])
    AreaRunningTotal.objects.filter(day__gte=day).delete()
    rows = []
    while day <= last:
        for area, sector, *values in by_day.get(day, ()):
            target = totals.setdefault((area, sector), [0] * len(RUNNING))
            for i, value in enumerate(values):
                target[i] += int(value or 0)
        rows += [AreaRunningTotal(day=day, area_id=area, sector=sector,
                                  **dict(zip(RUNNING, values, strict=True)))
                 for (area, sector), values in sorted(totals.items())]
        day += timedelta(days=1)
    AreaRunningTotal.objects.bulk_create(rows, batch_size=2000)


def _declarants_seen(day: date) -> None:
    """DeclarantSeen of a day from DeclarantDay: for each declarant and each area above their
    commune, the last earlier day they declared anywhere in that area (within the longest
    report range). Days are refreshed in order, so each reads its predecessors' final rows."""
    today = DeclarantDay.objects.filter(day=day)
    earlier: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for person, area, last in (
            DeclarantDay.objects.filter(day__lt=day,
                                        day__gte=day - timedelta(days=max_range_days()),
                                        person_id__in=today.values("person_id"))
            .values("person_id", "area_id").annotate(last=Max("day"))
            .values_list("person_id", "area_id", "last")):
        earlier[person].append((area, last))
    declared: dict[int, set[int]] = defaultdict(set)  # person → communes today
    for person, commune in today.values_list("person_id", "area_id"):
        declared[person].add(commune)
    communes = {c for cs in declared.values() for c in cs} | {
        area for seen in earlier.values() for area, _last in seen}
    ancestors = {pk: [int(part) for part in path.strip("/").split("/")]
                 for pk, path in Area.objects.filter(pk__in=communes).values_list("pk", "path")}
    counts: Counter = Counter()
    for person, today_in in declared.items():
        last_in: dict[int, date] = {}
        for area, last in earlier.get(person, ()):
            for ancestor in ancestors.get(area, ()):
                if last_in.get(ancestor) is None or last > last_in[ancestor]:
                    last_in[ancestor] = last
        # Once per area even when the person declared in two of its communes today.
        for ancestor in {a for commune in today_in for a in ancestors.get(commune, ())}:
            counts[ancestor, last_in.get(ancestor)] += 1
    DeclarantSeen.objects.bulk_create(
        [DeclarantSeen(day=day, area_id=area, prev_day=prev, people=people)
         for (area, prev), people in counts.items()], batch_size=2000)


def _rebuild_registrations() -> None:
    """Registrations are small (one row per day, commune and type) and a venue closing
    changes a past day, so they are rebuilt whole — in (area, day) order: the dashboard reads
    an area's rows together, and rows written in that order sit on a few pages instead of
    one page each."""
    venue_rows = (Venue.objects.filter(status=Venue.Status.ACTIVE)
                  .annotate(d=TruncDate("created_at", tzinfo=clock.zone()))
                  .values("d", "area_id", "sector", "venue_type").annotate(n=Count("id"))
                  .order_by("area_id", "d"))
    citizen_rows = (Person.objects.filter(is_self=True, account__isnull=False,
                                          area__isnull=False)
                    .annotate(d=TruncDate("created_at", tzinfo=clock.zone()))
                    .values("d", "area_id").annotate(n=Count("id")).order_by("area_id", "d"))
    VenueRegistration.objects.all().delete()
    VenueRegistration.objects.bulk_create(
        [VenueRegistration(day=r["d"], area_id=r["area_id"], sector=r["sector"],
                           venue_type=r["venue_type"], venues=r["n"]) for r in venue_rows],
        batch_size=2000)
    CitizenRegistration.objects.all().delete()
    CitizenRegistration.objects.bulk_create(
        [CitizenRegistration(day=r["d"], area_id=r["area_id"], citizens=r["n"])
         for r in citizen_rows], batch_size=2000)
    venues = _summed_up(VenueRegistration.objects.values_list(
        "area_id", "day", "sector", "venue_type", "venues"), 1)
    citizens = _summed_up(CitizenRegistration.objects.values_list(
        "area_id", "day", "citizens"), 1)
    rows = [AreaRegistration(area_id=area, day=day, sector=sector, venue_type=venue_type,
                             venues=n) for (area, day, sector, venue_type), (n,) in
            venues.items()]
    rows += [AreaRegistration(area_id=area, day=day, citizens=n)
             for (area, day), (n,) in citizens.items()]
    rows.sort(key=lambda r: (r.area_id, r.day, r.sector, r.venue_type))
    AreaRegistration.objects.all().delete()
    AreaRegistration.objects.bulk_create(rows, batch_size=2000)
    registered: dict[tuple[int, str, str], list[int]] = {}
    for row in rows:
        target = registered.setdefault((row.area_id, row.sector, row.venue_type), [0, 0])
        target[0] += row.venues
        target[1] += row.citizens
    AreaRegistered.objects.all().delete()
    AreaRegistered.objects.bulk_create(
        [AreaRegistered(area_id=area, sector=sector, venue_type=venue_type, venues=venues,
                        citizens=citizens)
         for (area, sector, venue_type), (venues, citizens) in sorted(registered.items())],
        batch_size=2000)


def _lock_state() -> RollupState:
    """Serialise refreshes: two running at once would both insert the same day's rows."""
    RollupState.objects.get_or_create(
        pk=1, defaults={"refreshed_at": timezone.now(), "since": clock.today()})
    return RollupState.objects.select_for_update().get(pk=1)


def refresh(since: date | None = None, until: date | None = None) -> int:
    """Recompute every day from `since` to `until` (default: the late-scan window up to
    today). Returns the number of days refreshed."""
    since = since or default_since()
    until = until or clock.today()
    day, days = since, 0
    while day <= until:
        with transaction.atomic():
            _lock_state()
            with connection.cursor() as cursor:
                _refresh_day(cursor, day)
        day += timedelta(days=1)
        days += 1
    with transaction.atomic():
        state = _lock_state()
        _rebuild_registrations()
        state.refreshed_at = timezone.now()
        state.since = since
        state.save()
    return days


def refreshed_at() -> datetime | None:
    state = RollupState.objects.filter(pk=1).first()
    return state.refreshed_at if state else None
