"""The tracing arithmetic: exposure intervals of visits and who overlapped whom.

Rules (DOMAIN.md and the health officers' practice):

- A visit's exposure interval is [entry, exit). Without an entry (the person was only scanned
  leaving) it starts the venue's default stay before the exit; without an exit it ends at
  `closes_at` (entry + default stay, or midnight), which the scan ingest sets.
- The F0's intervals are widened by the case's margin on both sides (PC-Covid used ±1 hour),
  and overlapping widened intervals at one venue are merged so nothing counts twice.
- The ingest never lets a visit cross midnight: an entry before midnight stays open (closed
  at midnight) and the exit after it becomes an exit-only visit of the next day. Tracing
  stitches such a pair of one person at one venue back into one visit.
- Two intervals overlap when each starts strictly before the other ends: [10:00, 11:00) and
  [11:00, 12:00) only touch and do not overlap.
- Overlap minutes are measured on the widened interval, per person as the length of the union
  of all their overlaps, rounded up to whole minutes (any overlap counts at least one minute).

The contacts of a case come from ONE query on Visit: for each venue the F0 visited, a range on
the (venue_id, entered_at) index (covering: the filter on the visit's end and the columns read
come from the index), plus the rare exit-only visits (entered_at IS NULL) of that venue, and a
second small query only when exit-only visits were found (every visit of that person at that
venue on the exit's day and the day before, so that an exit is joined to the visit right
before it and to no other). Entries earlier than the F0's widened start minus the longest
plausible stay (TRACING_MAX_VISIT_HOURS, or the venue's default stay if longer) are not looked
at: that bound is what keeps the query on an index range instead of the venue's whole history.
Nor are entries before the local midnight that begins the zone's day: a visit with an entry is
over by the next midnight (the ingest's rule; a stay across it is an exit-only visit of the
next day, found by its exit and stitched to its partner), so the day before holds no visit
with an entry that reaches the zone, and a daytime zone does not read the evening before.
"""

from __future__ import annotations

import functools
import gc
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from operator import or_
from typing import NamedTuple, overload

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from kiemdich.core.clock import day_bounds, local_day
from kiemdich.core.db import execute, prepared_cursor
from kiemdich.scans.models import Visit


@dataclass(frozen=True)
class VisitRow:
    """A visit with what the arithmetic needs; `stay_minutes` is its venue's default stay."""

    id: int
    person_id: int
    venue_id: int
    entered_at: datetime | None
    left_at: datetime | None
    closes_at: datetime
    stay_minutes: int
    entry_method: str = ""
    exit_method: str = ""

    @property
    def start(self) -> datetime:
        if self.entered_at is not None:
            return self.entered_at
        return (self.left_at or self.closes_at) - timedelta(minutes=self.stay_minutes)

    @property
    def end(self) -> datetime:
        return self.left_at if self.left_at is not None else self.closes_at


class Overlap(NamedTuple):
    """One stretch of a contact's visit inside the F0's widened interval (a tuple: a busy
    case makes tens of thousands of them)."""

    person_id: int
    venue_id: int
    visit_id: int
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return minutes_of(self.end - self.start)


@dataclass(slots=True)
class Contact:
    person_id: int
    overlaps: list[Overlap] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return minutes_of(union_length((o.start, o.end) for o in self.overlaps))

    @property
    def main(self) -> Overlap:
        """The longest overlap (the earliest among equals): what a notice names."""
        return min(self.overlaps, key=lambda o: (-(o.end - o.start), o.start, o.venue_id))

    @property
    def first_start(self) -> datetime:
        return min(o.start for o in self.overlaps)


def minutes_of(span: timedelta) -> int:
    return math.ceil(span.total_seconds() / 60)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Strict: intervals that only touch (a_end == b_start) do not overlap."""
    return a_start < b_end and b_start < a_end


def merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Union of intervals as disjoint sorted intervals; touching ones stay separate."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def union_length(intervals: Iterable[tuple[datetime, datetime]]) -> timedelta:
    return sum((end - start for start, end in merge(intervals)), timedelta())


_FIELDS = ("id", "person_id", "venue_id", "entered_at", "left_at", "closes_at")


def _rows(queryset: QuerySet[Visit]) -> list[VisitRow]:
    return [VisitRow(*values) for values in
            queryset.values_list(*_FIELDS, "venue__default_stay_minutes", "entry_method",
                                 "exit_method")]


def _stitchable(first: VisitRow, second: VisitRow, limit: timedelta) -> bool:
    return (first.entered_at is not None and first.left_at is None
            and second.entered_at is None and second.left_at is not None
            and first.entered_at < second.left_at <= first.entered_at + limit
            and timezone.localtime(second.left_at).date()
            == timezone.localtime(first.entered_at).date() + timedelta(days=1))


def stitch(rows: Iterable[VisitRow]) -> list[VisitRow]:
    """Join an open visit and the next day's exit-only visit of the same person at the same
    venue into one visit across midnight."""
    limit = timedelta(hours=settings.TRACING_MAX_VISIT_HOURS)
    ordered = sorted(rows, key=lambda r: (r.person_id, r.venue_id, r.entered_at or r.left_at,
                                          r.id))
    out: list[VisitRow] = []
    for row in ordered:
        last = out[-1] if out else None
        if last is not None and (last.person_id, last.venue_id) == (row.person_id,
                                                                    row.venue_id) \
                and _stitchable(last, row, limit) and row.left_at is not None:
            out[-1] = replace(last, left_at=row.left_at, closes_at=row.left_at,
                              exit_method=row.exit_method)
        else:
            out.append(row)
    return out


def visits_of(person_ids: Sequence[int], start: datetime, end: datetime,
              read: set[int] | None = None) -> list[VisitRow]:
    """The visits of these people whose exposure interval overlaps [start, end), by time.

    Uses the (person_id, entered_at) index; exit-only visits are found by their exit time.
    `read`, when given, receives the id of every visit row the answer was made from (see
    `contacts_of`)."""
    found = _rows(_visits_near(person_ids, start, end))
    if read is not None:
        read.update(row.id for row in found)
    return _in_window(found, start, end)


class Place(NamedTuple):
    """A venue as a case's page names it."""

    venue_id: int
    name: str
    area_code: str
    area_name: str


def placed_visits(person_ids: Sequence[int], start: datetime, end: datetime
                  ) -> tuple[list[VisitRow], dict[int, Place]]:
    """`visits_of`, and the places of those visits, read in the same query."""
    places: dict[int, Place] = {}
    found = []
    for values in _visits_near(person_ids, start, end).values_list(
            *_FIELDS, "venue__default_stay_minutes", "entry_method", "exit_method",
            "venue__name", "venue__area__code", "venue__area__name"):
        found.append(VisitRow(*values[:9]))
        places.setdefault(values[2], Place(values[2], *values[9:]))
    visits = _in_window(found, start, end)
    return visits, {v.venue_id: places[v.venue_id] for v in visits}


def _visits_near(person_ids: Sequence[int], start: datetime, end: datetime
                 ) -> QuerySet[Visit]:
    """The visits that may overlap [start, end): entered up to the longest plausible stay
    before it, or exit-only and left up to that long after its start."""
    bound = timedelta(hours=settings.TRACING_MAX_VISIT_HOURS)
    return Visit.objects.filter(
        person_id__in=list(person_ids), day__gte=local_date(start - bound),
        day__lte=local_date(end + bound)).filter(
        Q(entered_at__gte=start - bound, entered_at__lt=end)
        | Q(entered_at__isnull=True, left_at__gt=start, left_at__lt=end + bound)
    )


def _in_window(found: list[VisitRow], start: datetime, end: datetime) -> list[VisitRow]:
    rows = [r for r in stitch(found) if r.end > r.start and
            overlaps(r.start, r.end, start, end)]
    return sorted(rows, key=lambda r: (r.start, r.id))


def widened(visits: Iterable[VisitRow], margin: timedelta) -> dict[int, list[tuple]]:
    """Per venue, the merged exposure intervals widened by `margin` on both sides."""
    per_venue: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for visit in visits:
        per_venue[visit.venue_id].append((visit.start - margin, visit.end + margin))
    return {venue: merge(intervals) for venue, intervals in per_venue.items()}


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


# Contacts are found in integer microseconds since the epoch: thousands of candidate visits are
# compared with the zones without making a datetime of each (exact, unlike float seconds);
# only the contacts' overlaps become datetimes at the end.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MINUTE_US = 60_000_000

# A candidate visit: (id, person_id, venue_id, entered, left, closes) in microseconds.
Raw = tuple[int, int, int, int | None, int | None, int]


@overload
def _us(moment: datetime) -> int: ...
@overload
def _us(moment: None) -> None: ...
def _us(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // _MICROSECOND


@overload
def _moment(us: int) -> datetime: ...
@overload
def _moment(us: None) -> None: ...
def _moment(us: int | None) -> datetime | None:
    return None if us is None else _EPOCH + us * _MICROSECOND


def _candidates(specs: list[tuple]) -> list[Raw]:
    """The visits that may overlap each (venue, zone start, zone end, look-back): entered in
    the look-back and not over before the zone (the end filter leaves most of the look-back's
    visits in the database; stitch partners come after), and the rare exit-only visits, with
    a wide bound that also finds the exit closing a visit across midnight. Each has a bound on
    `day`, which prunes the visits' day partitions."""
    if connection.vendor == "postgresql":
        return _candidates_sql(specs)
    conditions = []
    for venue_id, start, end, look_back in specs:
        since = entries_from(start, look_back)
        conditions.append(Q(venue_id=venue_id, entered_at__gte=since,
                            entered_at__lt=end, day__gte=local_date(since),
                            day__lte=local_date(end))
                          & (Q(left_at__gt=start) | Q(left_at__isnull=True,
                                                      closes_at__gt=start)))
        conditions.append(Q(venue_id=venue_id, entered_at__isnull=True, left_at__gt=start,
                            left_at__lt=end + look_back, day__gte=local_date(start),
                            day__lte=local_date(end + look_back)))
    return _raws(Visit.objects.filter(reduce(or_, conditions)))


def entries_from(start: datetime, look_back: timedelta) -> datetime:
    """The earliest entry that can reach a zone beginning at `start`: within the look-back,
    and not before the local midnight of that day (a visit with an entry ends by the next
    midnight)."""
    return max(start - look_back, day_bounds(local_day(start))[0])


def _raws(queryset: QuerySet[Visit]) -> list[Raw]:
    return [(pk, person, venue, _us(entered), _us(left), _us(closes))
            for pk, person, venue, entered, left, closes in queryset.values_list(*_FIELDS)]


# A Raw row in SQL; times as integer microseconds parse many times faster than as text.
_MICROSECOND_COLUMNS = ", ".join(["id", "person_id", "venue_id"] + [
    f"(EXTRACT(EPOCH FROM {name}) * 1000000)::int8"
    for name in ("entered_at", "left_at", "closes_at")])


def _candidates_sql(specs: list[tuple]) -> list[Raw]:
    """The same as one UNION ALL of simple range queries (PostgreSQL): each part is planned
    on its own index range, and building it costs nothing next to the ORM's Q tree."""
    table = connection.ops.quote_name(Visit._meta.db_table)
    columns = _MICROSECOND_COLUMNS
    parts, params = [], []
    for venue_id, start, end, look_back in specs:
        parts.append(f"SELECT {columns} FROM {table} WHERE venue_id = %s "  # noqa: S608
                     "AND entered_at >= %s AND entered_at < %s AND day >= %s AND day <= %s "
                     "AND (left_at > %s OR (left_at IS NULL AND closes_at > %s))")
        since = entries_from(start, look_back)
        params += [venue_id, since, end, local_date(since),
                   local_date(end), start, start]
        parts.append(f"SELECT {columns} FROM {table} WHERE venue_id = %s "  # noqa: S608
                     "AND entered_at IS NULL AND left_at > %s AND left_at < %s "
                     "AND day >= %s AND day <= %s")
        params += [venue_id, start, end + look_back, local_date(start),
                   local_date(end + look_back)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        # A visit found for two zones of its venue is one candidate.
        return list({row[0]: row for row in cursor.fetchall()}.values())


def _stitch_partners(rows: list[Raw]) -> list[Raw]:
    """For each exit-only visit found, every visit of that person at that venue on its day and
    the day before: `stitch` joins an exit-only visit to the visit right before it, and that
    one may be an open visit that ended (by its default close) before the zone, or a visit in
    between that the zone did not reach and that keeps the two apart. One query for all the
    (venue, person, day) triples."""
    triples = set()
    for _pk, person, venue, entered, left, _closes in rows:
        if entered is None and left is not None:
            day = local_date(_moment(left))
            triples.update({(venue, person, day), (venue, person, day - timedelta(days=1))})
    if not triples:
        return []
    have = {row[0] for row in rows}
    return [row for row in _visits_on(sorted(triples)) if row[0] not in have]


def _visits_on(triples: list[tuple]) -> list[Raw]:
    """The visits of each (venue, person, day)."""
    if connection.vendor != "postgresql":
        wanted = set(triples)
        venues, people, days = (sorted({t[i] for t in triples}) for i in range(3))
        found = Visit.objects.filter(venue_id__in=venues, person_id__in=people, day__in=days)
        return [(pk, person, venue, _us(entered), _us(left), _us(closes))
                for pk, person, venue, entered, left, closes, day
                in found.values_list(*_FIELDS, "day") if (venue, person, day) in wanted]
    table = connection.ops.quote_name(Visit._meta.db_table)
    by_place: dict = defaultdict(list)
    for venue, person, day in triples:
        by_place[(day, venue)].append(person)
    parts, params = [], []
    for (day, venue), people in sorted(by_place.items()):
        # A constant day names one partition and a constant venue lets the planner see how
        # busy it is, so it probes the (venue, person, day) index for the people, one array
        # parameter however many they are (a list of row values took ~200 ms to plan).
        parts.append(f"SELECT {_MICROSECOND_COLUMNS} FROM {table} "  # noqa: S608
                     "WHERE day = %s AND venue_id = %s AND person_id = ANY(%s::int8[])")
        params += [day, venue, people]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def _stitched(rows: list[Raw], stays: dict[int, int]) -> list[Raw]:
    """`stitch` applied where it can change anything: only a person's visits at a venue where
    they have an exit-only visit (about one in a hundred) go through it."""
    exits = {(person, venue) for _pk, person, venue, entered, left, _closes in rows
             if entered is None and left is not None}
    if not exits:
        return rows
    kept = [row for row in rows if (row[1], row[2]) not in exits]
    joined = stitch(VisitRow(pk, person, venue, _moment(entered), _moment(left),
                             _moment(closes), stays[venue])
                    for pk, person, venue, entered, left, closes in rows
                    if (person, venue) in exits)
    return kept + [(r.id, r.person_id, r.venue_id, _us(r.entered_at), _us(r.left_at),
                    _us(r.closes_at)) for r in joined]


def _united_us(intervals: list[tuple[int, int]]) -> int:
    if len(intervals) == 1:
        return intervals[0][1] - intervals[0][0]
    ordered = sorted(intervals)
    total = 0
    current_start, current_end = ordered[0]
    for start, end in ordered[1:]:
        if start < current_end:
            current_end = max(current_end, end)
            continue
        total += current_end - current_start
        current_start, current_end = start, end
    return total + current_end - current_start


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A busy case makes hundreds of thousands of tuples, none in a reference cycle; the
    cyclic collector would walk them again and again (a third of the time of a case with
    20,000 contacts). Reference counting still frees everything. Whoever paused it resumes
    it, so overlapping requests on other threads never leave it off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def contacts_of(visits: Sequence[VisitRow], margin: timedelta,
                exclude_person_ids: Iterable[int], read: set[int] | None = None
                ) -> list[Contact]:
    """Everyone else whose visit overlaps the widened intervals of `visits`, ranked by
    overlap minutes (longest first), then by first overlap, then by person id.

    `read`, when given, receives the id of every visit row the answer was made from: the
    candidates and the stitch partners, contacts or not (a visit in between keeps an
    overnight pair apart). As long as those rows stay, the same question reads the same rows
    and gets the same answer whatever else is deleted: what retention keeps for open cases."""
    with _cyclic_gc_paused():
        return _contacts_of(visits, margin, exclude_person_ids, read)


def _contacts_of(visits: Sequence[VisitRow], margin: timedelta,
                 exclude_person_ids: Iterable[int], read: set[int] | None) -> list[Contact]:
    zones = widened(visits, margin)
    if not zones:
        return []
    stays = {v.venue_id: v.stay_minutes for v in visits}
    specs = []
    for venue_id, intervals in zones.items():
        look_back = max(timedelta(hours=settings.TRACING_MAX_VISIT_HOURS),
                        timedelta(minutes=stays[venue_id]))
        specs += [(venue_id, start, end, look_back) for start, end in intervals]
    zones_us = {venue: [(_us(start), _us(end)) for start, end in intervals]
                for venue, intervals in zones.items()}
    stays_us = {venue: minutes * _MINUTE_US for venue, minutes in stays.items()}
    excluded = set(exclude_person_ids)
    rows = _candidates(specs)
    rows += _stitch_partners(rows)
    if read is not None:
        read.update(row[0] for row in rows)
    # person -> [(overlap start, overlap end, venue, visit)], in microseconds
    found: dict[int, list[tuple[int, int, int, int]]] = {}
    for pk, person, venue, entered, left, closes in _stitched(rows, stays):
        end = left if left is not None else closes
        start = entered if entered is not None else end - stays_us[venue]
        if person in excluded or end <= start:
            continue
        for zone_start, zone_end in zones_us[venue]:
            if start < zone_end and zone_start < end:
                found.setdefault(person, []).append(
                    (max(start, zone_start), min(end, zone_end), venue, pk))
    ranked = []
    for person, spans in found.items():
        if len(spans) == 1:  # most contacts: one visit in one zone
            united = spans[0][1] - spans[0][0]
        else:
            spans.sort(key=lambda span: (span[0], span[2], span[3]))
            united = _united_us([(s, e) for s, e, _v, _pk in spans])
        ranked.append((united // -_MINUTE_US, spans[0][0], person, spans))
    ranked.sort()  # person ids are unique: the spans are never compared
    return [Contact(person, [Overlap(person, venue, pk, _moment(s), _moment(e))
                             for s, e, venue, pk in spans])
            for _minutes, _first, person, spans in ranked]


# Ranked pages of contacts -----------------------------------------------------------------
#
# The case's screen needs the top of the ranking, not all of it: on PostgreSQL the ranking is
# computed in the database (the same candidates, stitch partners, stitching, clipping to the
# zones, union per person and rounding as `contacts_of`, over integer microseconds) and only
# one page of contacts comes back. Pages follow each other by keyset: a cursor is the rank key
# (minutes, first overlap, person) of the last contact of the previous page, and the next page
# is everything ranked after it — stable however the pages are fetched, and every contact once
# when they are read to the end. Elsewhere (SQLite) the same page is cut from `contacts_of`.


class RankKey(NamedTuple):
    """Where a contact stands in the ranking: more minutes first, then the earlier first
    overlap (microseconds since the epoch), then the lower person id (unique: a total order)."""

    minutes: int
    first_us: int
    person_id: int

    def sort_key(self) -> tuple[int, int, int]:
        return (-self.minutes, self.first_us, self.person_id)


def rank_key(contact: Contact) -> RankKey:
    return RankKey(contact.minutes, _us(contact.first_start) or 0, contact.person_id)


@dataclass
class ContactPage:
    contacts: list[Contact]
    total: int  # contacts in the whole ranking
    next_key: RankKey | None  # None on the last page


def contact_page(visits: Sequence[VisitRow], margin: timedelta,
                 exclude_person_ids: Iterable[int], *, limit: int,
                 after: RankKey | None = None) -> ContactPage:
    """The `limit` contacts ranked right after `after` (from the top without it), exactly as
    `contacts_of` ranks them, and how many contacts there are in all."""
    excluded = sorted(set(exclude_person_ids))
    if connection.vendor != "postgresql":
        return _page_of(contacts_of(visits, margin, excluded), limit, after)
    zones = widened(visits, margin)
    if not zones:
        return ContactPage([], 0, None)
    with _cyclic_gc_paused():
        return _ranked_in_sql(visits, zones, excluded, limit, after)


def _page_of(ranked: list[Contact], limit: int, after: RankKey | None) -> ContactPage:
    start = 0
    if after is not None:
        bound = after.sort_key()
        start = next((i for i, c in enumerate(ranked) if rank_key(c).sort_key() > bound),
                     len(ranked))
    page = ranked[start:start + limit]
    more = start + limit < len(ranked)
    return ContactPage(page, len(ranked), rank_key(page[-1]) if page and more else None)


def _stitchable_sql(first: str, second: str) -> str:
    """`_stitchable` in SQL, of two rows' (entered, left) columns named by prefix; false (not
    null) when a row is missing."""
    return (f"COALESCE({first}entered IS NOT NULL AND {first}left_at IS NULL "
            f"AND {second}entered IS NULL AND {second}left_at IS NOT NULL "
            f"AND {first}entered < {second}left_at "
            f"AND {second}left_at <= {first}entered + %(max_visit)s "
            f"AND ({second}left_at AT TIME ZONE %(tz)s)::date "
            f"= ({first}entered AT TIME ZONE %(tz)s)::date + 1, false)")


@functools.cache
def _ranking_sql() -> str:
    """One statement, the same text for every case and page (prepared once per connection,
    with one generic plan): the zones come as arrays and the last page's key bounds the next.

    The candidates are `_candidates_sql`'s two index ranges per zone, joined to the zones:
    a row per (visit, zone that finds it), clipped to that zone. For an ordinary visit (it
    has an entry, lasts at most the look-back, its `day` is its entry's and it ends by the
    next midnight, as the ingest leaves every visit with an entry) the zones that
    find it are exactly the zones it overlaps, so these rows are its overlaps and each
    person's are ranked in one sort, without joining anything to them. A person with any
    other visit among their rows (an exit-only visit, which may be stitched to the visit
    before it, or a longer one) is ranked the slow way, as `contacts_of` does: their visits
    once each, the stitch partners, the stitching, every zone of the venue — a few people
    of thousands. Everyone is ranked by their key alone; the overlaps are gathered for the
    page's people only."""
    table = connection.ops.quote_name(Visit._meta.db_table)
    visit_end = "COALESCE(v.left_at, v.closes_at)"
    return f"""
WITH zone AS MATERIALIZED (
    SELECT * FROM unnest(%(z_venue)s::int8[], %(z_start)s::timestamptz[],
        %(z_end)s::timestamptz[], %(z_stay)s::interval[], %(z_look_back)s::interval[],
        %(z_since)s::timestamptz[], %(z_day_since)s::date[], %(z_day_start)s::date[],
        %(z_day_end)s::date[], %(z_day_on)s::date[], %(z_day_after)s::timestamptz[])
        AS z(venue_id, zs, ze, stay, look_back, since, day_since, day_start, day_end,
             day_on, day_after)),
found AS MATERIALIZED (
    -- Each row's overlap with its zone (a, b; null when none), and whether the person is
    -- simple.
    SELECT v.id, v.person_id, v.venue_id, v.entered_at AS entered, v.left_at, v.closes_at,
        CASE WHEN {visit_end} > v.entered_at THEN GREATEST(v.entered_at, z.zs) END AS a,
        CASE WHEN {visit_end} > v.entered_at THEN LEAST({visit_end}, z.ze) END AS b,
        ({visit_end} - v.entered_at > z.look_back OR CASE
            -- Entered on or after the zone's entry day's midnight (`since`): on that day
            -- until the next midnight, which the zone gives (no time zone arithmetic for
            -- each row, a tenth of the statement); a later day only for a zone past it.
            WHEN v.day = z.day_since
            THEN v.entered_at >= z.day_after OR {visit_end} > z.day_after
            ELSE v.day <> (v.entered_at AT TIME ZONE %(tz)s)::date
                OR {visit_end} > (v.day + 1)::timestamp AT TIME ZONE %(tz)s END) AS unusual
    FROM zone z JOIN {table} v ON v.venue_id = z.venue_id
        AND v.entered_at >= z.since AND v.entered_at < z.ze
        AND v.day >= z.day_since AND v.day <= z.day_end
        AND (v.left_at > z.zs OR (v.left_at IS NULL AND v.closes_at > z.zs))
    WHERE v.person_id <> ALL(%(excluded)s::int8[])
    UNION ALL
    SELECT v.id, v.person_id, v.venue_id, v.entered_at, v.left_at, v.closes_at, NULL, NULL,
        true
    FROM zone z JOIN {table} v ON v.venue_id = z.venue_id
        AND v.entered_at IS NULL AND v.left_at > z.zs AND v.left_at < z.ze + z.look_back
        AND v.day >= z.day_start AND v.day <= z.day_on
    WHERE v.person_id <> ALL(%(excluded)s::int8[])),
ordered AS (
    SELECT person_id, a, b, unusual,
        -- The union of a person's overlaps: each adds what reaches past those before it.
        max(b) OVER (PARTITION BY person_id ORDER BY a, venue_id, id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_b
    FROM found),
person AS MATERIALIZED (
    -- Grouped on the rows in that order (no second sort): the rank key only; the overlaps
    -- are gathered for the page's people alone.
    SELECT person_id, bool_or(unusual) AS slow, min(a) AS first_at,
        {_minutes_sql("FILTER (WHERE a IS NOT NULL)")} AS minutes
    FROM ordered GROUP BY person_id),
slow AS MATERIALIZED (
    SELECT DISTINCT f.id, f.person_id, f.venue_id, f.entered, f.left_at, f.closes_at
    FROM found f JOIN person p ON p.person_id = f.person_id AND p.slow),
exits AS (
    SELECT DISTINCT venue_id, person_id, (left_at AT TIME ZONE %(tz)s)::date AS day
    FROM slow WHERE entered IS NULL AND left_at IS NOT NULL),
partner AS (
    -- The person's visits (their index: a busy venue's would read the venue's day) on an
    -- exit-only visit's day and the day before, at that venue.
    SELECT v.id, v.person_id, v.venue_id, v.entered_at AS entered, v.left_at, v.closes_at
    FROM exits x JOIN {table} v ON v.person_id = x.person_id AND v.venue_id + 0 = x.venue_id
        AND v.day >= x.day - 1 AND v.day <= x.day),
neighbours AS (
    SELECT f.*, lag(entered) OVER w AS p_entered, lag(left_at) OVER w AS p_left_at,
        lead(entered) OVER w AS n_entered, lead(left_at) OVER w AS n_left_at
    FROM (SELECT * FROM slow UNION SELECT * FROM partner) f
    WINDOW w AS (PARTITION BY person_id, venue_id ORDER BY COALESCE(entered, left_at), id)),
stitched AS (
    SELECT id, person_id, venue_id, entered, CASE WHEN {_stitchable_sql('', 'n_')}
        THEN n_left_at ELSE COALESCE(left_at, closes_at) END AS end_at
    FROM neighbours WHERE NOT {_stitchable_sql('p_', '')}),
slow_span AS (
    SELECT s.person_id, s.venue_id, s.id,
        GREATEST(COALESCE(s.entered, s.end_at - z.stay), z.zs) AS a, LEAST(s.end_at, z.ze) AS b
    FROM stitched s JOIN zone z ON z.venue_id = s.venue_id
    WHERE COALESCE(s.entered, s.end_at - z.stay) < s.end_at
        AND COALESCE(s.entered, s.end_at - z.stay) < z.ze AND z.zs < s.end_at),
slow_covered AS (
    SELECT *, max(b) OVER (PARTITION BY person_id ORDER BY a, venue_id, id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_b
    FROM slow_span),
ranked AS MATERIALIZED (
    SELECT person_id, first_at, minutes, false AS slow
    FROM person WHERE NOT slow AND minutes IS NOT NULL
    UNION ALL
    SELECT person_id, min(a), {_minutes_sql()}, true
    FROM slow_covered GROUP BY person_id),
page AS MATERIALIZED (
    SELECT * FROM ranked
    WHERE (-minutes, first_at, person_id) > (%(a_minutes)s, %(a_first)s, %(a_person)s)
    ORDER BY minutes DESC, first_at, person_id LIMIT %(page)s),
overlap AS (
    -- The page's rank keys come along, so the page is grouped once and never joined back
    -- (a join the planner, guessing a row or two, made a nested loop over the groups).
    SELECT c.person_id, p.minutes, p.first_at, c.a, c.b, c.venue_id, c.id
    FROM found c JOIN page p ON p.person_id = c.person_id AND NOT p.slow
    WHERE c.a IS NOT NULL
    UNION ALL
    SELECT s.person_id, p.minutes, p.first_at, s.a, s.b, s.venue_id, s.id
    FROM slow_covered s JOIN page p ON p.person_id = s.person_id AND p.slow),
spans AS (
    SELECT person_id, minutes, first_at, array_agg(a) AS starts, array_agg(b) AS ends,
        array_agg(venue_id) AS venues, array_agg(id) AS visits
    FROM overlap GROUP BY person_id, minutes, first_at)
SELECT t.total, r.person_id, r.minutes, {_us_sql("r.first_at")},
    r.starts, r.ends, r.venues, r.visits
FROM (SELECT count(*) AS total FROM ranked) t LEFT JOIN spans r ON true
ORDER BY r.minutes DESC, r.first_at, r.person_id"""  # noqa: S608


def _minutes_sql(aggregate_filter: str = "") -> str:
    """A person's overlap minutes from their rows in (a, b) order with `before_b`, the furthest
    end before each: the length of the union, rounded up to whole minutes. In float seconds
    (date_part, not EXTRACT's numeric, which cost more than the rest of the aggregate): below
    years of overlap a sum of whole minutes is exact and anything a microsecond more is
    seen as more, so the rounding up is `contacts_of`'s."""
    return ("ceil(date_part('epoch', sum(GREATEST(interval '0', b - GREATEST(a, COALESCE("
            f"before_b, a)))) {aggregate_filter}) / 60)::int8")


def _ranking_params(visits: Sequence[VisitRow], zones: dict[int, list[tuple]],
                    excluded: list[int], limit: int, after: RankKey | None) -> dict:
    stays = {v.venue_id: v.stay_minutes for v in visits}
    zone: dict[str, list] = defaultdict(list)
    for venue_id, intervals in sorted(zones.items()):
        stay = timedelta(minutes=stays[venue_id])
        look_back = max(timedelta(hours=settings.TRACING_MAX_VISIT_HOURS), stay)
        for start, end in intervals:
            since = entries_from(start, look_back)
            for name, value in (
                    ("venue", venue_id), ("start", start), ("end", end), ("stay", stay),
                    ("look_back", look_back), ("since", since), ("day_since", local_date(since)),
                    ("day_start", local_date(start)), ("day_end", local_date(end)),
                    ("day_on", local_date(end + look_back)),
                    ("day_after", day_bounds(local_date(since))[1])):
                zone[f"z_{name}"].append(value)
    # Without a cursor: a key before every contact (minutes are at least one).
    key = after.sort_key() if after else (-(2**62), 0, 0)
    return {**zone, "tz": timezone.get_current_timezone_name(),
            "max_visit": timedelta(hours=settings.TRACING_MAX_VISIT_HOURS),
            "excluded": excluded, "page": limit + 1, "a_minutes": key[0],
            "a_first": _moment(key[1]), "a_person": key[2]}


def _us_sql(column: str) -> str:
    return f"(EXTRACT(EPOCH FROM {column}) * 1000000)::int8"


def _ranked_in_sql(visits: Sequence[VisitRow], zones: dict[int, list[tuple]],
                   excluded: list[int], limit: int, after: RankKey | None) -> ContactPage:
    with prepared_cursor(at_once=True) as cursor:
        execute(cursor, _ranking_sql(),
                _ranking_params(visits, zones, excluded, limit, after))
        rows = cursor.fetchall()
    total = rows[0][0] if rows else 0
    rows = [row for row in rows if row[1] is not None]  # none past the last contact
    more = len(rows) > limit
    rows = rows[:limit]
    # A contact's overlaps in the order `contacts_of` gives them.
    contacts = [Contact(person, sorted(
        (Overlap(person, venue, pk, a, b) for a, b, venue, pk in zip(starts, ends, venues, ids,
                                                                     strict=True)),
        key=lambda o: (o.start, o.venue_id, o.visit_id)))
        for _total, person, _minutes, _first, starts, ends, venues, ids in rows]
    last = rows[-1] if rows else None
    return ContactPage(contacts, int(total),
                       RankKey(int(last[2]), int(last[3]), last[1]) if more and last else None)
