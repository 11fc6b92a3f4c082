"""The retention job (privacy.purge) and the lists that hold people without being records of
what they did: organisations' rosters, the statistics' declarant days, venues' staff phones.
Each is kept while it serves, then goes: the rows older than their period, and only those."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.accounts.scopes import Scope
from kiemdich.accounts.services import account_for_phone, grant_role
from kiemdich.core import clock
from kiemdich.declarations.models import Declaration
from kiemdich.jobs import runner
from kiemdich.people.models import Person
from kiemdich.reports import imports, rollups
from kiemdich.reports.models import DeclarantDay, DeclarantSeen, Organisation, RosterMember
from kiemdich.venues.models import Venue, VenueStaff
from kiemdich.venues.services import update_venue
from tests.conftest import run_queued_tasks
from tests.privacy.factories import days_ago, venue

pytestmark = pytest.mark.django_db


def _import_roster(officer, organisation: Organisation, *names_and_phones: tuple[str, str]):
    text = "full_name,phone,id_number\n" + "".join(f"{name},{phone},\n"
                                                   for name, phone in names_and_phones)
    imports.start_import(Scope(officer), officer, imports.ImportKind.ROSTER,
                         [text.encode()], organisation=organisation)
    run_queued_tasks()


def _phones(organisation: Organisation) -> set[str]:
    return set(organisation.members.values_list("phone", flat=True))


def test_a_member_the_roster_left_out_goes_after_the_declarations_retention(areas):
    officer = grant_role("0912000801", Role.OFFICER, areas["731"]).user
    school, factory, office = (
        Organisation.objects.create(name=name, area=areas["25993"], sector="education")
        for name in ("Trường Tiểu học", "Nhà máy", "UBND phường"))
    for organisation in (school, factory, office):
        _import_roster(officer, organisation, ("An", "0912111001"), ("Bình", "0912111002"))
    # The school's and the office's lists were imported 31 days ago, the factory's 29.
    for organisation, age in ((school, 31), (factory, 29), (office, 31)):
        imported_at = days_ago(age)
        organisation.members.update(imported_at=imported_at)
        Organisation.objects.filter(pk=organisation.pk).update(roster_imported_at=imported_at)
    # Today Bình is no longer on the school's nor the factory's list; the office's is not
    # imported again.
    _import_roster(officer, school, ("An", "0912111001"))
    _import_roster(officer, factory, ("An", "0912111001"))

    runner.execute("privacy.purge")

    assert _phones(school) == {"+84912111001"}  # Bình last listed 31 days ago: gone
    assert _phones(factory) == {"+84912111001", "+84912111002"}  # 29 days ago: kept
    assert _phones(office) == {"+84912111001", "+84912111002"}  # the whole list, still its
    assert RosterMember.objects.count() == 5


def test_declarant_days_go_once_no_statistics_refresh_reads_them(areas):
    today, commune = clock.today(), areas["25993"]
    me, old = Person.objects.create(full_name="An"), Person.objects.create(full_name="Cũ")
    # The statistics look 92 days back from each day of the late-scan window (3 days).
    DeclarantDay.objects.create(day=today - timedelta(days=97), area=commune, person_id=old.pk)
    DeclarantDay.objects.create(day=today - timedelta(days=90), area=commune, person_id=me.pk)
    Declaration.objects.create(person=me, created_at=timezone.now(), local_date=today,
                               area=commune)

    runner.execute("privacy.purge")
    rollups.refresh(since=today, until=today)

    assert set(DeclarantDay.objects.values_list("person_id", "day")) == {
        (me.pk, today - timedelta(days=90)), (me.pk, today)}
    # An declared 90 days ago: over the longest range, still one declarant, not two.
    assert list(DeclarantSeen.objects.filter(day=today, area=commune)
                .values_list("prev_day", "people")) == [(today - timedelta(days=90), 1)]


def test_a_closed_venues_staff_phones_go_after_the_scans_retention(areas):
    owner = account_for_phone("0912000002")
    closed_long_ago, closed_lately, open_one = (
        venue(owner, areas["25993"], name) for name in ("Quán cũ", "Quán mới đóng", "Chợ"))
    for place in (closed_long_ago, closed_lately, open_one):
        VenueStaff.objects.create(venue=place, phone="+84912333444")
    VenueStaff.objects.update(created_at=days_ago(100))
    for place in (closed_long_ago, closed_lately):
        update_venue(place, owner, {"status": "closed"})
    Venue.objects.filter(pk=closed_long_ago.pk).update(closed_at=days_ago(31))
    Venue.objects.filter(pk=closed_lately.pk).update(closed_at=days_ago(29))

    runner.execute("privacy.purge")

    assert set(VenueStaff.objects.values_list("venue_id", flat=True)) == {
        closed_lately.pk, open_one.pk}


def test_a_venue_opened_again_is_no_longer_counted_as_closed(areas):
    owner = account_for_phone("0912000002")
    place = venue(owner, areas["25993"])
    update_venue(place, owner, {"status": "closed"})
    assert place.closed_at is not None
    update_venue(place, owner, {"status": "active"})
    VenueStaff.objects.create(venue=place, phone="+84912333444")

    runner.execute("privacy.purge")

    assert Venue.objects.get(pk=place.pk).closed_at is None
    assert VenueStaff.objects.filter(venue=place).exists()
