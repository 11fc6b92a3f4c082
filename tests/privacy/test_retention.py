"""purge_expired: per-kind retention, batches with progress, what open cases hold, files,
idempotence and the lock that keeps two runs apart."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kiemdich.accounts.auth import issue_token
from kiemdich.accounts.models import ApiToken, OneTimeCode, SmsMessage
from kiemdich.accounts.services import account_for_phone
from kiemdich.declarations.models import Declaration
from kiemdich.privacy import retention
from kiemdich.privacy.models import AuditEntry
from kiemdich.scans.models import Scan, Visit
from kiemdich.tracing.models import Case
from tests.privacy.factories import days_ago, person, venue, visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(areas):
    return account_for_phone("0912000002")


def _declaration(who, when):
    return Declaration.objects.create(person=who, created_at=when,
                                      local_date=timezone.localdate(when))


def test_it_deletes_each_kind_after_its_own_retention(areas, owner, settings):
    place = venue(owner, areas["25993"])
    an = person(name="An")
    old_visit = visit(place, an, days_ago(31))
    new_visit = visit(place, an, days_ago(29))
    rejected_old = Scan.objects.create(venue=place, direction="in", method="staff",
                                       accepted=False, reason="code_forged",
                                       scanned_at=days_ago(8), received_at=days_ago(8))
    rejected_new = Scan.objects.create(venue=place, direction="in", method="staff",
                                       accepted=False, reason="code_forged",
                                       scanned_at=days_ago(6), received_at=days_ago(6))
    old_decl, new_decl = _declaration(an, days_ago(31)), _declaration(an, days_ago(2))
    OneTimeCode.objects.create(phone="+84912000001", code_hash="x", created_at=days_ago(2),
                               expires_at=days_ago(2))
    _old_sms, new_sms = (SmsMessage.objects.create(
        phone="+84912000001", purpose="otp", created_at=days_ago(age),
        expires_at=days_ago(age)) for age in (8, 6))
    expired_user = account_for_phone("0912000005")
    _token, token = issue_token(expired_user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=days_ago(1))
    audit_before = AuditEntry.objects.count()

    counts = retention.purge_expired()

    assert not Visit.objects.filter(pk=old_visit.pk).exists()
    assert Visit.objects.filter(pk=new_visit.pk).exists()
    assert Scan.objects.filter(accepted=True).count() == 2  # the new visit's in and out
    assert not Scan.objects.filter(pk=rejected_old.pk).exists()
    assert Scan.objects.filter(pk=rejected_new.pk).exists()
    assert list(Declaration.objects.values_list("pk", flat=True)) == [new_decl.pk]
    assert not OneTimeCode.objects.exists() and not ApiToken.objects.exists()
    assert list(SmsMessage.objects.values_list("pk", flat=True)) == [new_sms.pk]
    assert counts["scans"] == 2 and counts["rejected_scans"] == 1 and counts["visits"] == 1
    assert counts["declarations"] == 1 and old_decl.pk
    assert AuditEntry.objects.count() == audit_before  # the trail is never purged

    assert set(retention.purge_expired().values()) == {0}  # a second run finds nothing


def test_retention_follows_the_settings(areas, owner, settings):
    settings.RETENTION_SCANS_DAYS = 10
    place = venue(owner, areas["25993"])
    visit(place, person(), days_ago(11))
    assert retention.purge_expired()["visits"] == 1


def test_it_deletes_in_batches_and_reports_progress(areas, owner, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 3)
    place = venue(owner, areas["25993"])
    who = person()
    Scan.objects.bulk_create(
        Scan(venue=place, person=who, direction="in", method="staff",
             scanned_at=days_ago(40), received_at=days_ago(40)) for _ in range(8))
    seen = []
    retention.purge_expired(progress=lambda kind, n: seen.append((kind, n)))
    assert [n for kind, n in seen if kind == "scans"] == [3, 6, 8]
    assert not Scan.objects.exists()


def test_open_cases_keep_the_f0s_and_the_contacts_records(areas, owner):
    cafe, market = venue(owner, areas["25993"], "Cà phê"), venue(owner, areas["25996"], "Chợ")
    f0, contact, elsewhere, later = person(name="F0"), person(name="Tiếp xúc"), \
        person(name="Nơi khác"), person(name="Đến sau")
    stay = days_ago(40).replace(hour=9, minute=0)
    f0_visit = visit(cafe, f0, stay, minutes=60)
    contact_visit = visit(cafe, contact, stay + timedelta(minutes=90))  # within the margin
    long_stay = visit(cafe, person(name="Ở lâu"), stay - timedelta(hours=3), minutes=240)
    late_visit = visit(cafe, later, stay + timedelta(hours=6))
    far_visit = visit(market, elsewhere, stay)
    outside_window = visit(cafe, f0, days_ago(60))
    case = Case.objects.create(person=f0, confirmed_at=days_ago(35),
                               window_start=days_ago(49), window_end=days_ago(35),
                               margin_minutes=60)

    retention.purge_expired()
    kept = set(Visit.objects.values_list("pk", flat=True))
    assert kept == {f0_visit.pk, contact_visit.pk, long_stay.pk}
    assert late_visit.pk not in kept and far_visit.pk not in kept
    assert outside_window.pk not in kept
    assert Scan.objects.filter(person=contact).count() == 2

    case.status = Case.Status.CLOSED
    case.save()
    retention.purge_expired()
    assert not Visit.objects.exists() and not Scan.objects.exists()


def test_it_rewrites_the_sms_outbox_without_old_lines(settings):
    now = timezone.now()
    lines = [{"phone": "+84912000001", "text": "old", "sent_at": (now - timedelta(days=8))
              .isoformat()},
             {"phone": "+84912000001", "text": "new", "sent_at": now.isoformat()}]
    settings.SMS_OUTBOX.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    assert retention.purge_sms_outbox(now) == 1
    assert [json.loads(x)["text"] for x in settings.SMS_OUTBOX.read_text().splitlines()] \
        == ["new"]


def test_it_removes_old_export_files(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    exports = tmp_path / "exports"
    exports.mkdir()
    old, new = exports / "old.xlsx", exports / "new.csv"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    past = time.time() - 8 * 86400
    os.utime(old, (past, past))
    assert retention.purge_export_files(timezone.now()) == 1
    assert not old.exists() and new.exists()


def test_the_command_prints_progress_and_refuses_to_overlap(areas, owner):
    visit(venue(owner, areas["25993"]), person(), days_ago(40))
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "visits: 1 deleted" in out.getvalue() and "purge complete" in out.getvalue()
    with retention.exclusive_run() as acquired:
        assert acquired
        if retention.connection.vendor == "postgresql":
            # A second session, as a second cron run would be, cannot take the lock.
            import psycopg
            from django.db import connection

            params = connection.get_connection_params()
            with psycopg.connect(**{k: v for k, v in params.items()
                                    if k in ("dbname", "user", "host", "port",
                                             "password")}) as other:
                taken = other.execute("SELECT pg_try_advisory_lock(%s)",
                                      [retention.PURGE_LOCK_ID]).fetchone()[0]
            assert taken is False
        else:
            with pytest.raises(CommandError, match="in progress"):
                call_command("purge_expired", stdout=StringIO())


def test_people_known_only_from_old_scans_go_with_them(areas, owner):
    from kiemdich.people.models import Person

    place = venue(owner, areas["25993"])
    card_only = person(name="Quét CCCD", source="scanned", id_number_digest="d" * 64)
    recent = person(name="Mới quét", source="scanned")
    f0 = person(name="F0 nhập tay", source="manual")
    citizen = account_for_phone("0912000007")
    own = person(citizen, "Có tài khoản")
    Person.objects.update(created_at=days_ago(45))
    visit(place, card_only, days_ago(40))
    visit(place, recent, days_ago(3))
    visit(venue(owner, areas["26368"], "Bến xe"), f0, days_ago(40))
    Case.objects.create(person=f0, confirmed_at=days_ago(35), window_start=days_ago(49),
                        window_end=days_ago(35), margin_minutes=60)

    counts = retention.purge_expired()
    left = set(Person.objects.values_list("pk", flat=True))
    assert card_only.pk not in left and {recent.pk, f0.pk, own.pk} <= left
    assert counts["people"] == 1
