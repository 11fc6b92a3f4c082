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
from kiemdich.core.audit import pseudonym, record
from kiemdich.people.models import Person
from kiemdich.privacy.audit import verify_chain
from kiemdich.privacy.models import AuditEntry
from tests.conftest import page_export

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
    response = page_export(auditor, "/privacy/audit/", {"action": "login_failed"}, "csv")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][7] == "'=HYPERLINK(\"http://x\")"
    assert AuditEntry.objects.filter(action="audit_exported").exists()
    xlsx = page_export(auditor, "/privacy/audit/", {}, "xlsx")
    assert xlsx.content[:2] == b"PK"
    assert verify_chain()[1] is None


def test_exports_are_recorded_by_name_not_content(areas, make_officer):
    officer = make_officer("0912000020", Role.OFFICER, areas["731"])
    response = officer.get("/api/v1/venues/directory/export", {"format": "xlsx"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor_id == officer.user.pk
    assert entry.target == "export:venues" and entry.reason == "format=xlsx"


def test_data_access_is_recorded_with_the_actors_name_role_and_address(areas, make_officer,
                                                                        auditor):
    officer = make_officer("0912000021", Role.OFFICER, areas["731"])
    officer.user.display_name = "Trần Thị Bình"
    officer.user.save(update_fields=["display_name"])
    response = officer.get("/api/v1/venues/directory/export", {"format": "csv"},
                           REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor_name, entry.actor_role, entry.ip) == (
        "Trần Thị Bình", "officer@731", "203.0.113.7")
    page = auditor.get("/privacy/audit/", {"action": "export"}).content.decode()
    assert "Trần Thị Bình" in page and "officer@731" in page and "203.0.113.7" in page
    rows = list(csv.reader(io.StringIO(page_export(auditor, "/privacy/audit/", {
        "action": "export"}, "csv").content.decode("utf-8-sig"))))
    assert rows[1][3:5] == ["Trần Thị Bình", "officer@731"] and rows[1][8] == "203.0.113.7"
    assert verify_chain()[1] is None


def test_staff_without_a_display_name_are_named_by_their_own_person_with_every_role(
        areas, make_officer):
    officer = make_officer("0912000024", Role.OFFICER, areas["731"])
    grant_role("0912000024", Role.ADMIN)
    grant_role("0912000024", Role.HEALTH_OFFICER, areas["75"])
    Person.objects.filter(account=officer.user, is_self=True).update(full_name="Phạm Văn Dũng")
    Person.objects.create(account=officer.user, is_self=False, full_name="Phạm Thị Em")
    entry = record(officer.user, "view_full_person", target="people.person:1")
    assert (entry.actor_name, entry.actor_role) == (
        "Phạm Văn Dũng", "admin, health_officer@75, officer@731")


def test_a_citizen_actor_is_recorded_by_role_without_a_name(lan):
    record(lan.user, "consent_withdrawn", target=lan.user)
    entry = AuditEntry.objects.get(action="consent_withdrawn")
    assert (entry.actor_role, entry.actor_name) == ("citizen", "")


@pytest.mark.skipif("connection.vendor == 'postgresql'")  # the trigger refuses the change
def test_the_actor_fields_are_part_of_the_chain(areas, make_officer):
    officer = make_officer("0912000022", Role.OFFICER, areas["731"])
    entry = record(officer.user, "view_full_person", target="people.person:1")
    AuditEntry.objects.filter(pk=entry.pk).update(actor_role="admin")
    assert verify_chain()[1] == entry.pk


def test_the_api_gives_auditors_the_trail_with_the_actors(areas, make_officer, lan):
    officer = make_officer("0912000023", Role.OFFICER, areas["731"])
    officer.user.display_name = "Lê Văn Cường"
    officer.user.save(update_fields=["display_name"])
    officer.get("/api/v1/venues/directory/export", {"format": "csv"},
                REMOTE_ADDR="198.51.100.4")
    reader = make_officer("0912000087", Role.AUDITOR)
    answer = reader.get("/api/v1/audit", {"action": "export"})
    assert answer.status_code == 200
    [entry] = answer.json()
    assert {k: entry[k] for k in ("actor_name", "actor_role", "ip", "action")} == {
        "actor_name": "Lê Văn Cường", "actor_role": "officer@731", "ip": "198.51.100.4",
        "action": "export"}
    for _ in range(3):
        record(None, "bulk")
    newest = reader.get("/api/v1/audit", {"action": "bulk", "limit": 2}).json()
    older = reader.get("/api/v1/audit", {"action": "bulk",
                                         "before_id": newest[-1]["id"]}).json()
    assert len(newest) == 2 and len(older) == 1 and older[0]["id"] < newest[-1]["id"]
    inverted = reader.get("/api/v1/audit", {"date_from": "2026-02-02",
                                            "date_to": "2026-01-01"})
    assert inverted.status_code == 422
    assert inverted.json()["error"]["code"] == "date_range_invalid"
    assert lan.get("/api/v1/audit").status_code == 403
    assert officer.get("/api/v1/audit").json()["error"]["code"] == "forbidden"
