"""Retention never changes what an open case shows: on small random populations — people
with a second person row from their ID card scanned at a door, visits around the retention
cutoff (overnight stays, open and exit-only visits), open and closed cases — every open
case's exposures (the F0's visits, the contacts, their minutes and overlaps) are identical
before and after `purge_expired`."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiemdich.accounts.services import account_for_phone
from kiemdich.core.protect import encrypt_id, id_digest
from kiemdich.people.models import Person
from kiemdich.privacy import retention
from kiemdich.scans.models import Visit
from kiemdich.tracing import services
from kiemdich.tracing.models import Case
from tests.tracing.conftest import VN, World

pytestmark = pytest.mark.django_db

QUARTER = 900
SPAN_DAYS = 3
# (human, which of their person rows, venue, start in seconds from START, length, kind)
VISIT = st.tuples(
    st.integers(0, 3), st.integers(0, 1), st.integers(0, 2),
    st.integers(0, SPAN_DAYS * 24 * 3600 // QUARTER - 1).map(lambda q: q * QUARTER),
    st.one_of(st.integers(1, 16).map(lambda q: q * QUARTER), st.integers(1, 6 * 3600)),
    st.sampled_from(["closed", "closed", "open", "exit_only"]))
# (human, which row the officer found, window start, window length, margin, open)
CASE = st.tuples(
    st.integers(0, 3), st.integers(0, 1), st.integers(0, 24),
    st.integers(1, SPAN_DAYS * 24), st.sampled_from([0, 15, 60]),
    st.sampled_from([True, True, False]))


def _start() -> datetime:
    """Midnight some weeks ago: the cutoff of the purge falls inside the stretch visited."""
    day = timezone.localdate() - timedelta(days=40)
    return datetime(day.year, day.month, day.day, tzinfo=VN)


@pytest.fixture
def stage(areas):
    """Four humans: each has the person of their account; the first three also a person row
    made when their ID card was scanned at a venue (the same ID number)."""
    owner = account_for_phone("0912400000")
    world = World(areas, owner)
    humans = []
    for index in range(4):
        number = f"07920100{index:04d}"
        mine = Person.objects.get(account=account_for_phone(f"091240000{index + 1}"),
                                  is_self=True)
        mine.id_number_digest, mine.id_number_cipher = id_digest(number), encrypt_id(number)
        mine.save(update_fields=["id_number_digest", "id_number_cipher"])
        rows = [mine]
        if index < 3:
            rows.append(world.person(source="scanned", id_number=number))
        humans.append(rows)
    venues = [world.venue("Quán nhanh", stay=30), world.venue("Nhà hàng", stay=120),
              world.venue("Chợ", stay=60)]
    return world, humans, venues


def _store(world: World, start: datetime, humans, venues, visits) -> None:
    """Visits as the ingest leaves them: one person row's visits at one venue one after the
    other, none across midnight (an overnight stay is an open visit closed at midnight and
    an exit-only visit the next day)."""
    free_from: dict[tuple[int, int], datetime] = {}
    for human, row, venue_index, offset, length, kind in sorted(visits, key=lambda v: v[3]):
        who = humans[human][min(row, len(humans[human]) - 1)]
        venue = venues[venue_index]
        key = (who.pk, venue.pk)
        begin = max(start + timedelta(seconds=offset), free_from.get(key, start))
        end = begin + timedelta(seconds=length)
        midnight = timezone.localtime(begin).replace(hour=0, minute=0, second=0,
                                                     microsecond=0) + timedelta(days=1)
        if kind == "exit_only":
            world.visit(who, venue, None, end)
        elif kind == "open":
            world.visit(who, venue, begin, None, closes=min(
                begin + timedelta(minutes=venue.default_stay_minutes), midnight))
        elif end < midnight:
            world.visit(who, venue, begin, end)
        else:
            world.overnight(who, venue, begin, end)
        free_from[key] = end + timedelta(seconds=1)


def _exposures_of(cases: list[Case]) -> dict[int, tuple]:
    out = {}
    for case in cases:
        found = services.reach(Case.objects.select_related("person").get(pk=case.pk))
        out[case.pk] = (
            [(v.id, v.person_id, v.venue_id, v.start, v.end) for v in found.visits],
            [(c.person_id, c.minutes,
              [(o.venue_id, o.visit_id, o.start, o.end) for o in c.overlaps])
             for c in found.contacts])
    return out


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(visits=st.lists(VISIT, min_size=1, max_size=25),
       cases=st.lists(CASE, min_size=1, max_size=3),
       cut_hours=st.integers(12, SPAN_DAYS * 24))
def test_a_purge_never_changes_an_open_cases_exposures(stage, visits, cases, cut_hours):
    world, humans, venues = stage
    start = _start()
    with transaction.atomic():
        _store(world, start, humans, venues, visits)
        made = []
        for human, row, from_hour, hours, margin, is_open in cases:
            window_start = start + timedelta(hours=from_hour)
            made.append(Case.objects.create(
                person=humans[human][min(row, len(humans[human]) - 1)],
                confirmed_at=window_start + timedelta(hours=hours), window_start=window_start,
                window_end=window_start + timedelta(hours=hours), margin_minutes=margin,
                status=Case.Status.OPEN if is_open else Case.Status.CLOSED))
        opened = [case for case in made if case.status == Case.Status.OPEN]
        before = _exposures_of(opened)
        visits_before = Visit.objects.count()
        # `now` such that the scans' retention ends `cut_hours` into the stretch visited.
        retention.purge_expired(now=start + timedelta(
            days=django_settings.RETENTION_SCANS_DAYS, hours=cut_hours))
        after = _exposures_of(opened)
        purged = visits_before - Visit.objects.count()
        transaction.set_rollback(True)
    print(f"visits={visits_before} purged={purged} open cases={len(opened)}")
    assert after == before

