"""The audit trail: a verified hash chain, append-only on PostgreSQL, searchable by admins
and auditors, exported safely."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import account_for_phone, grant_role
from kiemdich.privacy.audit import pseudonym, record, verify_chain
from kiemdich.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


def _trail(n: int = 5) -> list[AuditEntry]:
    return [record(None, "test_action", target=f"people.person:{i}", reason="why")
            for i in range(n)]


def test_verify_audit_passes_on_an_intact_chain(capsys):
    _trail()
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


@pytest.mark.skipif("connection.vendor == 'postgresql'")
def test_verify_audit_names_the_first_altered_entry():
    entries = _trail()
    AuditEntry.objects.filter(pk=entries[2].pk).update(reason="rewritten")
    with pytest.raises(CommandError, match=f"id={entries[2].pk}"):
        call_command("verify_audit")


@pytest.mark.skipif("connection.vendor == 'postgresql'")
def test_verify_audit_notices_a_deleted_entry():
    entries = _trail()
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    assert verify_chain() == (1, entries[2].pk)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize("statement", [
    "UPDATE privacy_auditentry SET reason = 'x'",
    "DELETE FROM privacy_auditentry",
    "TRUNCATE privacy_auditentry",
])
def test_postgres_refuses_to_change_or_delete_entries(statement):
    _trail(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEntry.objects.count() == 2
    assert verify_chain() == (2, None)


def test_the_trail_survives_the_deletion_of_an_actor():
    user = account_for_phone("0912000050")
    record(user, "view_full_person", target="people.person:1", reason="tracing")
    user_id = user.pk
    user.delete()
    assert AuditEntry.objects.filter(actor_id=user_id).exists()
    assert verify_chain()[1] is None


def test_role_grants_and_failed_logins_are_recorded_without_personal_data(anon):
    admin = account_for_phone("0912000099")
    grant_role("0912000077", Role.HEALTH_OFFICER, None, "", granted_by=admin)
    anon.post("/api/v1/auth/token", {"phone": "0912000078", "code": "000000"})
    grant = AuditEntry.objects.get(action="role_granted")
    failed = AuditEntry.objects.get(action="login_failed")
    assert grant.actor_id == admin.pk and "health_officer" in grant.reason
    assert failed.target == pseudonym("+84912000078")
    for entry in AuditEntry.objects.all():
        text = f"{entry.target} {entry.reason} {entry.actor_label}"
        assert "912000077" not in text and "912000078" not in text


@pytest.fixture
def auditor(db):
    grant_role("0912000088", Role.AUDITOR)
    client = Client()
    client.force_login(account_for_phone("0912000088"))
    return client


def test_only_admins_and_auditors_open_the_search(auditor, admin_client, lan, make_officer):
    assert auditor.get("/privacy/audit/").status_code == 200
    for phone, role in (("0912000001", None), ("0912000030", Role.OFFICER),
                        ("0912000031", Role.HEALTH_OFFICER)):
        if role:
            grant_role(phone, role)
        client = Client()
        client.force_login(account_for_phone(phone))
        assert client.get("/privacy/audit/").status_code == 403
    assert Client().get("/privacy/audit/").status_code == 302  # to the login page


def test_search_filters_by_action_actor_target_and_dates(auditor):
    officer = account_for_phone("0912000040")
    record(officer, "view_full_person", target="people.person:7", reason="case 1")
    record(officer, "case_export", target="tracing.case:1")
    record(None, "login_failed", target=pseudonym("+84912000041"))
    old = record(None, "view_full_person", target="people.person:8")
    page = auditor.get("/privacy/audit/", {"action": "view_full_person"}).content.decode()
    assert "people.person:7" in page and "people.person:8" in page and "tracing.case" not in page
    page = auditor.get("/privacy/audit/", {"actor": "0912000040"}).content.decode()
    assert "people.person:7" in page and "tracing.case:1" in page and "person:8" not in page
    page = auditor.get("/privacy/audit/", {"target": "0912000041"}).content.decode()
    assert pseudonym("+84912000041") in page and "person:7" not in page
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = auditor.get("/privacy/audit/", {"date_from": tomorrow}).content.decode()
    assert "person:7" not in page
    assert old.pk


@pytest.mark.parametrize(("fallbacks", "found"), [(True, True), (False, False)])
def test_a_phone_is_still_found_after_the_secret_key_was_replaced(auditor, settings,
                                                                   fallbacks, found):
    record(None, "login_failed", target=pseudonym("+84912000041"))
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-for-the-tests-0123456789abcdef"
    settings.SECRET_KEY_FALLBACKS = [old] if fallbacks else []
    auditor.force_login(account_for_phone("0912000088"))  # a session under the new key
    response = auditor.get("/privacy/audit/", {"target": "0912000041"})
    assert response.status_code == 200
    page = response.content.decode()
    assert (pseudonym("+84912000041", old) in page) is found


def test_search_refuses_an_inverted_range_without_error(auditor):
    response = auditor.get("/privacy/audit/", {"date_from": "2026-02-02",
                                               "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert "Ngày kết thúc trước ngày bắt đầu" in response.content.decode()


def test_search_paginates(auditor):
    for i in range(120):
        record(None, "bulk", target=f"x:{i}")
    first = auditor.get("/privacy/audit/", {"action": "bulk"}).content.decode()
    third = auditor.get("/privacy/audit/", {"action": "bulk", "page": 3}).content.decode()
    assert "x:119<" in first and "x:0<" not in first
    assert "x:0<" in third and "x:119<" not in third
    assert "action=bulk&amp;page=2" in first


def test_the_export_is_safe_and_itself_recorded(auditor):
    record(None, "login_failed", target="h:abc", reason="=HYPERLINK(\"http://x\")")
    response = auditor.get("/privacy/audit/", {"format": "csv", "action": "login_failed"})
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][5] == "'=HYPERLINK(\"http://x\")"
    assert AuditEntry.objects.filter(action="audit_exported").exists()
    xlsx = auditor.get("/privacy/audit/", {"format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    assert verify_chain()[1] is None


def test_exports_are_recorded_by_name_not_content(areas, make_officer):
    officer = make_officer("0912000020", Role.OFFICER, areas["731"])
    response = officer.get("/api/v1/venues/directory/export", {"format": "xlsx"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor_id == officer.user.pk
    assert entry.target == "export:venues" and entry.reason == "format=xlsx"
