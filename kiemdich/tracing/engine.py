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
the (venue_id, entered_at) index, plus the rare exit-only visits (entered_at IS NULL) of that
venue. Entries earlier than the F0's widened start minus the longest plausible stay
(TRACING_MAX_VISIT_HOURS, or the venue's default stay if longer) are not looked at: that bound
is what keeps the query on an index range instead of the venue's whole history.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

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


@dataclass(frozen=True)
class Overlap:
    person_id: int
    venue_id: int
    visit_id: int
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return minutes_of(self.end - self.start)


@dataclass
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


def _rows(queryset, stays: dict[int, int] | None = None) -> list[VisitRow]:
    fields = ("id", "person_id", "venue_id", "entered_at", "left_at", "closes_at")
    if stays is None:
        return [VisitRow(*values) for values in
                queryset.values_list(*fields, "venue__default_stay_minutes", "entry_method",
                                     "exit_method")]
    return [VisitRow(*values, stays[values[2]]) for values in queryset.values_list(*fields)]


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
                and _stitchable(last, row, limit):
            out[-1] = replace(last, left_at=row.left_at, closes_at=row.left_at,
                              exit_method=row.exit_method)
        else:
            out.append(row)
    return out


def visits_of(person_ids: Sequence[int], start: datetime, end: datetime) -> list[VisitRow]:
    """The visits of these people whose exposure interval overlaps [start, end), by time.

    Uses the (person_id, entered_at) index; exit-only visits are found by their exit time."""
    bound = timedelta(hours=settings.TRACING_MAX_VISIT_HOURS)
    candidates = Visit.objects.filter(person_id__in=list(person_ids)).filter(
        Q(entered_at__gte=start - bound, entered_at__lt=end)
        | Q(entered_at__isnull=True, left_at__gt=start, left_at__lt=end + bound)
    )
    rows = [r for r in stitch(_rows(candidates)) if r.end > r.start and
            overlaps(r.start, r.end, start, end)]
    return sorted(rows, key=lambda r: (r.start, r.id))


def widened(visits: Iterable[VisitRow], margin: timedelta) -> dict[int, list[tuple]]:
    """Per venue, the merged exposure intervals widened by `margin` on both sides."""
    per_venue: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for visit in visits:
        per_venue[visit.venue_id].append((visit.start - margin, visit.end + margin))
    return {venue: merge(intervals) for venue, intervals in per_venue.items()}


def contacts_of(visits: Sequence[VisitRow], margin: timedelta,
                exclude_person_ids: Iterable[int]) -> list[Contact]:
    """Everyone else whose visit overlaps the widened intervals of `visits`, ranked by
    overlap minutes (longest first), then by first overlap, then by person id."""
    zones = widened(visits, margin)
    if not zones:
        return []
    stays = {v.venue_id: v.stay_minutes for v in visits}
    conditions = []
    for venue_id, intervals in zones.items():
        stay = timedelta(minutes=stays[venue_id])
        look_back = max(timedelta(hours=settings.TRACING_MAX_VISIT_HOURS), stay)
        for start, end in intervals:
            conditions.append(Q(venue_id=venue_id, entered_at__gte=start - look_back,
                                entered_at__lt=end))
            # Exit-only visits are rare; the wide bound also finds the exit that closes a
            # visit across midnight.
            conditions.append(Q(venue_id=venue_id, entered_at__isnull=True, left_at__gt=start,
                                left_at__lt=end + look_back))
    excluded = set(exclude_person_ids)
    candidates = Visit.objects.filter(reduce(or_, conditions))
    found: dict[int, Contact] = {}
    for row in stitch(_rows(candidates, stays)):
        if row.person_id in excluded or row.end <= row.start:
            continue
        for start, end in zones[row.venue_id]:
            if overlaps(row.start, row.end, start, end):
                contact = found.setdefault(row.person_id, Contact(row.person_id))
                contact.overlaps.append(Overlap(row.person_id, row.venue_id, row.id,
                                                max(row.start, start), min(row.end, end)))
    for contact in found.values():
        contact.overlaps.sort(key=lambda o: (o.start, o.venue_id, o.visit_id))
    return sorted(found.values(), key=lambda c: (-c.minutes, c.first_start, c.person_id))
