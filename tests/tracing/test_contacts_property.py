"""The contact rules as a property: on random visits at two venues in the twelve hours
around a midnight, the engine's indexed search finds exactly what a brute-force reading of
the rules over every visit finds — the same people, minutes, overlaps and ranking — and so
does the ranking in the database (PostgreSQL; SQLite cuts the pages from the same list) read
page by page with a random page size."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiemdich.scans.models import Visit
from kiemdich.tracing import engine
from tests.tracing.conftest import at

pytestmark = pytest.mark.django_db

START = at(10, 18)
QUARTER = 900
# (venue index, start in seconds from START, length in seconds, kind): mostly on quarter
# hours, so that intervals often touch exactly, sometimes to the second (minutes round up).
VISIT = st.tuples(
    st.integers(0, 1), st.integers(0, 12 * 3600 // QUARTER - 1).map(lambda q: q * QUARTER),
    st.one_of(st.integers(1, 16).map(lambda q: q * QUARTER), st.integers(1, 4 * 3600)),
    st.sampled_from(["closed", "open", "exit_only"]))


def _midnight_after(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _store(world, person, venue, visits) -> None:
    """A person's visits at one venue as the ingest leaves them: one after the other, none
    across midnight (an overnight stay is an open visit closed at midnight and an exit-only
    visit the next day)."""
    free_from = START
    for _venue, offset, length, kind in sorted(visits, key=lambda v: v[1]):
        begin = max(START + timedelta(seconds=offset), free_from)
        end = begin + timedelta(seconds=length)
        midnight = _midnight_after(begin)
        if kind == "exit_only":
            world.visit(person, venue, None, end)
        elif kind == "open":
            world.visit(person, venue, begin, None,
                        closes=min(begin + timedelta(minutes=venue.default_stay_minutes),
                                   midnight))
        elif end < midnight:
            world.visit(person, venue, begin, end)
        else:
            world.overnight(person, venue, begin, end)
        free_from = end + timedelta(seconds=1)


def _spans(person_id: int) -> list[tuple[int, int, datetime, datetime]]:
    """(venue, visit, start, end) of a person's visits, an overnight pair joined: the exit-only
    visit right after an open visit of the day before at the same venue, within a day."""
    limit = timedelta(hours=24)
    out = []
    rows = Visit.objects.filter(person_id=person_id).select_related("venue")
    for venue_id in {v.venue_id for v in rows}:
        mine = sorted((v for v in rows if v.venue_id == venue_id),
                      key=lambda v: (v.entered_at or v.left_at, v.pk))
        for visit in mine:
            stay = timedelta(minutes=visit.venue.default_stay_minutes)
            if out and visit.entered_at is None and out[-1][4] is not None \
                    and out[-1][0] == venue_id and out[-1][4] < visit.left_at <= \
                    out[-1][4] + limit and timezone.localtime(visit.left_at).date() == \
                    timezone.localtime(out[-1][4]).date() + timedelta(days=1):
                venue, pk, start, _end, _open = out.pop()
                out.append((venue, pk, start, visit.left_at, None))
                continue
            end = visit.left_at or visit.closes_at
            start = visit.entered_at or end - stay
            opened = visit.entered_at if visit.left_at is None else None
            out.append((venue_id, visit.pk, start, end, opened))
    return [(venue, pk, start, end) for venue, pk, start, end, _open in out if end > start]


def _union_minutes(intervals) -> int:
    total, last_end = timedelta(), None
    for start, end in sorted(intervals):
        if last_end is not None and start < last_end:
            total += max(end, last_end) - last_end
            last_end = max(end, last_end)
        else:
            total += end - start
            last_end = end
    return math.ceil(total.total_seconds() / 60)


def _brute_force(f0_id: int, others: list[int], margin: timedelta) -> list[tuple]:
    zones: dict[int, list[tuple[datetime, datetime]]] = {}
    for venue, _pk, start, end in _spans(f0_id):
        zones.setdefault(venue, []).append((start - margin, end + margin))
    merged = {venue: engine.merge(intervals) for venue, intervals in zones.items()}
    found = []
    for person in others:
        overlaps = sorted(
            (max(start, z_start), venue, pk, min(end, z_end))
            for venue, pk, start, end in _spans(person)
            for z_start, z_end in merged.get(venue, [])
            if start < z_end and z_start < end)
        if overlaps:
            minutes = _union_minutes([(s, e) for s, _v, _pk, e in overlaps])
            found.append((-minutes, overlaps[0][0], person,
                          [(v, pk, s, e) for s, v, pk, e in overlaps]))
    return [(person, -minutes, overlaps) for minutes, _first, person, overlaps
            in sorted(found, key=lambda item: item[:3])]


@pytest.fixture
def stage(world):
    venues = [world.venue("Quán nhanh", stay=30), world.venue("Nhà hàng", stay=120)]
    people = [world.person() for _ in range(6)]
    return world, venues, people


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(f0_visits=st.lists(VISIT, min_size=1, max_size=4),
       others=st.lists(st.lists(VISIT, min_size=1, max_size=5), min_size=1, max_size=5),
       margin_minutes=st.sampled_from([0, 15, 60]), page_size=st.integers(1, 4))
def test_the_search_finds_what_the_rules_say(stage, f0_visits, others, margin_minutes,
                                             page_size):
    world, venues, people = stage
    f0, rest = people[0], people[1:1 + len(others)]
    with transaction.atomic():
        for person, visits in [(f0, f0_visits), *zip(rest, others, strict=False)]:
            for index, venue in enumerate(venues):
                _store(world, person, venue, [v for v in visits if v[0] == index])
        margin = timedelta(minutes=margin_minutes)
        window = (START - timedelta(days=1), START + timedelta(days=5))
        mine = engine.visits_of([f0.pk], *window)
        found = [(c.person_id, c.minutes,
                  [(o.venue_id, o.visit_id, o.start, o.end) for o in c.overlaps])
                 for c in engine.contacts_of(mine, margin, [f0.pk])]
        expected = _brute_force(f0.pk, [p.pk for p in rest], margin)
        paged, pages, totals = _read_every_page(mine, margin, f0.pk, page_size)
        transaction.set_rollback(True)
    assert found == expected
    # The ranking computed in the database (PostgreSQL) and read page by page gives the
    # same contacts in the same order, each page as long as asked until the last.
    assert paged == expected
    assert set(totals) == {len(expected)}
    assert all(len(page) == page_size for page in pages[:-1])
    assert len(pages[-1]) <= page_size


def _read_every_page(mine, margin, f0_id, page_size):
    """Every page from the top, each after the last one's key; (contacts, pages, totals)."""
    pages, totals, after = [], [], None
    while True:
        page = engine.contact_page(mine, margin, [f0_id], limit=page_size, after=after)
        pages.append([(c.person_id, c.minutes,
                       [(o.venue_id, o.visit_id, o.start, o.end) for o in c.overlaps])
                      for c in page.contacts])
        totals.append(page.total)
        if page.next_key is None:
            return [contact for page in pages for contact in page], pages, totals
        after = page.next_key
