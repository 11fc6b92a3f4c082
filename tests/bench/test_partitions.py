"""Scans and visits partitioned by day on PostgreSQL: every insert finds a home, retention
drops whole days but keeps what an open case holds, idempotency stays exact across days."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kiemdich.accounts.services import account_for_phone
from kiemdich.core import clock
from kiemdich.privacy.retention import purge_expired
from kiemdich.scans import partitions
from kiemdich.scans.models import Scan, ScanNonce, Visit
from kiemdich.tracing.models import Case
from tests.scans.conftest import make_venue

pytestmark = pytest.mark.django_db(transaction=True)
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'")


def _scan(at: datetime, venue_id: int = 1, person_id: int = 1, **extra) -> Scan:
    return Scan.objects.create(venue_id=venue_id, person_id=person_id, direction="in",
                               method="staff", scanned_at=at, received_at=at, **extra)


def _visit(at: datetime, venue_id: int = 1, person_id: int = 1) -> Visit:
    return Visit.objects.create(venue_id=venue_id, person_id=person_id, entered_at=at,
                                left_at=at + timedelta(minutes=30),
                                closes_at=at + timedelta(minutes=30), entry_method="staff",
                                exit_method="staff", day=clock.local_day(at))


def _partition_of(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s",  # noqa: S608
                       [pk])
        return cursor.fetchone()[0]


def _noon(days_ago: int) -> datetime:
    day = clock.today() - timedelta(days=days_ago)
    return clock.at(day, time(12))


def test_sqlite_keeps_plain_tables():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert not partitions.enabled()
    assert partitions.ensure(clock.today(), clock.today()) == 0
    assert partitions.drop_expired(timezone.now()) == {}


@postgres_only
def test_today_and_a_week_ahead_have_partitions_and_other_days_go_to_default():
    today = clock.today()
    for table in partitions.TABLES:
        days = partitions.existing(table)
        assert today in days and today + timedelta(days=partitions.AHEAD_DAYS) in days
    assert _partition_of("scans_scan", _scan(_noon(0)).pk) == \
        f"scans_scan_p{today:%Y%m%d}"
    far = _scan(_noon(400))
    assert _partition_of("scans_scan", far.pk) == "scans_scan_default"
    # Making that day's partition later moves the row out of DEFAULT.
    assert partitions.ensure(clock.local_day(far.scanned_at),
                             clock.local_day(far.scanned_at)) == 2
    assert _partition_of("scans_scan", far.pk).startswith("scans_scan_p")
    assert Scan.objects.filter(pk=far.pk).exists()


@postgres_only
def test_primary_keys_hold_the_venue_and_the_partition_key():
    with connection.cursor() as cursor:
        cursor.execute("SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM "
                       "pg_constraint WHERE contype IN ('p', 'u') AND conrelid IN "
                       "('scans_scan'::regclass, 'scans_visit'::regclass, "
                       "'scans_scannonce'::regclass)")
        found = dict(cursor.fetchall())
    assert found == {"scans_scan": "PRIMARY KEY (venue_id, id, scanned_at)",
                     "scans_visit": "PRIMARY KEY (venue_id, id, day)",
                     "scans_scannonce": "PRIMARY KEY (venue_id, nonce)"}


def test_a_nonce_is_unique_per_venue_whatever_the_day():
    ScanNonce.objects.create(venue_id=1, nonce="n-1", scan_id=1, scanned_at=_noon(0))
    ScanNonce.objects.create(venue_id=2, nonce="n-1", scan_id=2, scanned_at=_noon(0))
    with pytest.raises(IntegrityError), transaction.atomic():
        ScanNonce.objects.create(venue_id=1, nonce="n-1", scan_id=3, scanned_at=_noon(2))


@postgres_only
def test_retention_drops_old_days_but_keeps_what_an_open_case_holds(settings, areas):
    settings.RETENTION_SCANS_DAYS = 30
    old_day = clock.today() - timedelta(days=40)
    partitions.ensure(old_day, old_day)
    # Tracing reads a visit with its venue (its default stay): the F0's is a real one.
    venue = make_venue(account_for_phone("0912000002"), "Quán Phở Hòa")
    f0_scan = _scan(_noon(40), venue_id=venue.pk, person_id=7)
    f0_visit = _visit(_noon(40), venue_id=venue.pk, person_id=7)
    from kiemdich.people.models import Person

    person = Person.objects.create(full_name="F0")
    # Someone else, elsewhere (ids that cannot be the F0's or its venue's, whatever ran
    # before): nothing holds their day.
    elsewhere = venue.pk + 1000
    other = Person.objects.create(full_name="Other").pk
    other_scan, other_visit = _scan(_noon(40), person_id=other, venue_id=elsewhere), \
        _visit(_noon(40), person_id=other, venue_id=elsewhere)
    recent = _scan(_noon(1))
    Visit.objects.filter(pk=f0_visit.pk).update(person_id=person.pk)
    Scan.objects.filter(pk=f0_scan.pk).update(person_id=person.pk)
    Case.objects.create(person=person, confirmed_at=_noon(38), window_start=_noon(42),
                        window_end=_noon(38), margin_minutes=60)
    counts = purge_expired()
    assert counts["scan_partitions"] >= 1 and counts["visit_partitions"] >= 1
    assert old_day not in partitions.existing("scans_scan")
    assert old_day not in partitions.existing("scans_visit")
    assert Scan.objects.filter(pk=f0_scan.pk).exists()
    assert Visit.objects.filter(pk=f0_visit.pk).exists()
    assert _partition_of("scans_visit", f0_visit.pk) == "scans_visit_default"
    assert not Scan.objects.filter(pk=other_scan.pk).exists()
    assert not Visit.objects.filter(pk=other_visit.pk).exists()
    assert Scan.objects.filter(pk=recent.pk).exists()
    # Once the case is closed, the kept rows go like any other.
    Case.objects.update(status=Case.Status.CLOSED)
    purge_expired()
    assert not Visit.objects.filter(pk=f0_visit.pk).exists()


def test_retention_forgets_old_nonces(settings):
    ScanNonce.objects.create(venue_id=1, nonce="old", scan_id=1, scanned_at=_noon(60))
    ScanNonce.objects.create(venue_id=1, nonce="new", scan_id=2, scanned_at=_noon(1))
    counts = purge_expired()
    assert counts["scan_nonces"] == 1
    assert list(ScanNonce.objects.values_list("nonce", flat=True)) == ["new"]
