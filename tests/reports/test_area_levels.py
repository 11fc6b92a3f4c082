"""The rollups kept at every area level (the dashboard reads only these) equal the raw counts
of every area of the tree — province, districts, communes — on each day and over ranges, and
a refresh that runs again, or after the raw rows change, keeps them so: the day rows, and the
running totals and registration totals read in their place, whatever day is refreshed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import Q, Sum

from kiemdich.areas.models import Area
from kiemdich.reports import rollups
from kiemdich.reports.models import (
    AreaDay,
    AreaRegistered,
    AreaRegistration,
    AreaRunningTotal,
    AreaVenueSeen,
    DeclarantSeen,
)
from kiemdich.scans.models import Scan
from tests.reports.gen import generate, truth

pytestmark = pytest.mark.django_db

DAYS = [date(2021, 10, 10) + timedelta(days=i) for i in range(4)]


def _leaves(area: Area) -> set[int]:
    return set(Area.objects.subtree(area).leaves().values_list("pk", flat=True))


def _sum(queryset, **names) -> dict[str, int]:
    return {k: int(v or 0) for k, v in queryset.aggregate(
        **{name: Sum(column) for name, column in names.items()}).items()}


def _from_levels(area: Area, date_from: date, date_to: date) -> dict[str, int]:
    """Every dashboard figure of `area` from its own rows of the level tables only."""
    rows = AreaDay.objects.filter(area=area, day__gte=date_from, day__lte=date_to)
    unseen = Q(prev_day__isnull=True) | Q(prev_day__lt=date_from)
    registered = AreaRegistration.objects.filter(area=area, day__lte=date_to)
    return {
        **_sum(rows.exclude(venue_type=""), scans_in="scans_in", scans_out="scans_out"),
        **_sum(rows.filter(venue_type=""), declarations="declarations",
               symptomatic="symptomatic"),
        **_sum(AreaVenueSeen.objects.filter(unseen, area=area, day__gte=date_from,
                                            day__lte=date_to), venues_active="venues"),
        **_sum(registered.exclude(venue_type=""), venues_registered="venues"),
        **_sum(registered.filter(venue_type=""), citizens_registered="citizens"),
        **_sum(DeclarantSeen.objects.filter(unseen, area=area, day__gte=date_from,
                                            day__lte=date_to), declarants="people"),
    }


def _from_totals(area: Area, date_from: date, date_to: date) -> dict[str, int]:
    """The figures the running totals and registration totals give in place of summing the
    day rows: the last day's totals less those of the day before the range, and the totals
    less the registrations after it."""
    def running(day: date) -> dict[str, int]:
        rows = AreaRunningTotal.objects.filter(area=area, day=day)
        return {**_sum(rows.exclude(sector=""), scans_in="scans_in", scans_out="scans_out"),
                **_sum(rows.filter(sector=""), declarations="declarations",
                       symptomatic="symptomatic")}

    end, before = running(date_to), running(date_from - timedelta(days=1))
    later = AreaRegistration.objects.filter(area=area, day__gt=date_to)
    total = AreaRegistered.objects.filter(area=area)
    return {**{name: end[name] - before[name] for name in end},
            "venues_registered": _sum(total.exclude(venue_type=""), n="venues")["n"]
            - _sum(later.exclude(venue_type=""), n="venues")["n"],
            "citizens_registered": _sum(total.filter(venue_type=""), n="citizens")["n"]
            - _sum(later.filter(venue_type=""), n="citizens")["n"]}


def _check_totals(data, area: Area, date_from: date, date_to: date) -> None:
    expected = truth(data, _leaves(area), date_from, date_to)
    assert _from_totals(area, date_from, date_to) == {
        name: expected[name] for name in ("scans_in", "scans_out", "declarations",
                                          "symptomatic", "venues_registered",
                                          "citizens_registered")}, (area.code, date_from)


@pytest.fixture
def data(areas):
    communes = list(Area.objects.leaves().order_by("code"))
    generated = generate(communes, DAYS, seed=11)
    rollups.refresh(since=DAYS[0] - timedelta(days=1), until=DAYS[-1] + timedelta(days=1))
    return generated


def test_every_area_of_every_level_matches_the_raw_rows(data, areas):
    depths = set()
    for area in Area.objects.all():
        depths.add(area.depth)
        for date_from, date_to in [(d, d) for d in DAYS] + [(DAYS[0], DAYS[-1]),
                                                             (DAYS[1], DAYS[2])]:
            assert _from_levels(area, date_from, date_to) == \
                truth(data, _leaves(area), date_from, date_to), (area.code, date_from, date_to)
            _check_totals(data, area, date_from, date_to)
    assert depths == {0, 1, 2}  # province, district, commune


def test_a_day_of_a_province_is_a_handful_of_rows(data, areas):
    province = areas["75"]
    one_day = AreaDay.objects.filter(area=province, day=DAYS[0])
    # One row per (sector, venue type) scanned that day, and one of declarations.
    kinds = (Scan.objects.filter(accepted=True, venue__area__path__startswith=province.path)
             .values("venue__sector", "venue__venue_type").distinct().count())
    assert 1 < one_day.count() <= kinds + 1


def test_refreshing_again_and_after_a_change_keeps_them_exact(data, areas):
    rollups.refresh(since=DAYS[0], until=DAYS[-1])
    scan = next(s for s in data.scans if s.accepted and s.scanned_at.date() in DAYS[1:3])
    Scan.objects.filter(pk=scan.pk).update(accepted=False)
    scan.accepted = False
    rollups.refresh(since=DAYS[0] - timedelta(days=1), until=DAYS[-1] + timedelta(days=1))
    for area in Area.objects.all():
        assert _from_levels(area, DAYS[0], DAYS[-1]) == \
            truth(data, _leaves(area), DAYS[0], DAYS[-1]), area.code


def test_a_late_scan_refreshed_alone_moves_every_later_running_total(data, areas):
    """A late upload refreshes its own day only (the late-scan job refreshes the days of the
    window): the running totals of the days after it follow at once."""
    scan = next(s for s in data.scans if s.accepted and s.scanned_at.date() == DAYS[1]
                and 6 <= s.scanned_at.hour <= 18)
    Scan.objects.filter(pk=scan.pk).update(accepted=False)
    scan.accepted = False
    rollups.refresh(since=DAYS[1], until=DAYS[1])
    for area in Area.objects.all():
        for date_from, date_to in [(DAYS[0], DAYS[-1]), (DAYS[2], DAYS[3]), (DAYS[1], DAYS[1])]:
            _check_totals(data, area, date_from, date_to)


def test_totals_are_built_for_level_rollups_made_before_them(data, areas):
    """Data refreshed before the running totals existed: the next refresh of any day builds
    them from the first day of the level rollups."""
    AreaRunningTotal.objects.all().delete()
    AreaRegistered.objects.all().delete()
    rollups.refresh(since=DAYS[-1], until=DAYS[-1])
    for area in Area.objects.all():
        _check_totals(data, area, DAYS[0], DAYS[-1])
        _check_totals(data, area, DAYS[1], DAYS[2])
