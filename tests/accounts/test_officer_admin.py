"""Admins manage authority accounts in the portal, within their areas: create, change role or
area, disable (the account's sessions and API tokens refused at once), log out everywhere,
import a roster; every change audited, refusals with stable codes."""

from __future__ import annotations

import pytest
from django.test import Client

from kiemdich.accounts.models import ApiToken, Grant, Role, User
from kiemdich.accounts.services import grant_role
from kiemdich.privacy.models import AuditEntry
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(areas):
    """A country-wide admin, the admin of province 75 and the admin of province 74."""
    made = {}
    for name, phone, area in (("country", "0912000090", None), ("dong_nai", "0912000091", "75"),
                              ("binh_duong", "0912000092", "74")):
        user = grant_role(phone, Role.ADMIN, areas[area] if area else None).user
        client = Client()
        client.force_login(user)
        client.user = user
        made[name] = client
    return made


def _code(response) -> str:
    text = response.content.decode()
    marker = 'data-error-code="'
    assert marker in text, text[:2000]
    return text.split(marker, 1)[1].split('"', 1)[0]


def _create(client, phone="0913300001", role="health_officer", area="25993", **extra):
    return client.post("/accounts/officers/new/", {"phone": phone, "role": role,
                                                   "area_code": area, **extra})


def test_an_admin_creates_an_officer_within_their_province_and_it_is_audited(admins):
    response = _create(admins["dong_nai"], display_name="Lê Thị Mai")
    assert response.status_code == 302
    user = User.objects.get(phone="+84913300001")
    assert response["Location"] == f"/accounts/officers/{user.pk}/"
    grant = Grant.objects.get(user=user)
    assert (grant.role, grant.area.code, grant.granted_by) == (
        "health_officer", "25993", admins["dong_nai"].user)
    assert user.display_name == "Lê Thị Mai"
    entry = AuditEntry.objects.get(action="role_granted", target=f"accounts.user:{user.pk}")
    assert entry.actor_id == admins["dong_nai"].user.pk
    assert "health_officer area=25993" in entry.reason

    listing = admins["dong_nai"].get("/accounts/officers/").content.decode()
    assert f'data-account="{user.pk}"' in listing
    other = admins["binh_duong"].get("/accounts/officers/").content.decode()
    assert f'data-account="{user.pk}"' not in other
    assert admins["binh_duong"].get(f"/accounts/officers/{user.pk}/").status_code == 404


@pytest.mark.parametrize(("area", "code"), [
    ("25741", "area_out_of_scope"),   # a ward of the other province
    ("", "area_out_of_scope"),        # the whole country
    ("99999", "area_unknown"),
])
def test_a_provincial_admin_cannot_grant_outside_the_province(admins, area, code):
    response = _create(admins["dong_nai"], area=area)
    assert response.status_code == 422  # the form is shown again, with the refusal
    assert _code(response) == code
    assert not User.objects.filter(phone="+84913300001").exists()


def test_bad_input_is_refused_on_the_form(admins):
    bad_phone = _create(admins["country"], phone="12")
    assert bad_phone.status_code == 422 and _code(bad_phone) == "phone_invalid"
    bad_role = _create(admins["country"], role="emperor")  # not one of the form's choices
    assert bad_role.status_code == 422 and 'class="field has-error"' in bad_role.content.decode()
    assert User.objects.count() == 3  # the admins only


def test_officers_without_the_admin_role_do_not_see_the_pages(areas, make_officer):
    officer = make_officer("0913300009", "officer", areas["75"])
    client = Client()
    client.force_login(officer.user)
    for path in ("/accounts/officers/", "/accounts/officers/new/",
                 "/accounts/officers/import/"):
        assert client.get(path).status_code == 404, path


def test_changing_a_role_and_area_is_audited_with_before_and_after(admins, areas):
    grant = grant_role("0913300002", Role.OFFICER, areas["25993"])
    client = admins["dong_nai"]
    response = client.post(f"/accounts/officers/grants/{grant.pk}/",
                           {f"g{grant.pk}-role": "inspector", f"g{grant.pk}-area_code": "731",
                            f"g{grant.pk}-sector": "trade"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.role, grant.area.code, grant.sector) == ("inspector", "731", "trade")
    entry = AuditEntry.objects.get(action="role_changed")
    assert entry.reason == "before=officer@25993/* after=inspector@731/trade"
    assert entry.actor_id == client.user.pk

    moved = client.post(f"/accounts/officers/grants/{grant.pk}/",
                        {f"g{grant.pk}-role": "inspector", f"g{grant.pk}-area_code": "74"})
    assert moved.status_code == 403 and _code(moved) == "area_out_of_scope"
    grant.refresh_from_db()
    assert grant.area.code == "731"
    unknown = client.post(f"/accounts/officers/grants/{grant.pk + 1000}/",
                          {f"g{grant.pk + 1000}-role": "inspector",
                           f"g{grant.pk + 1000}-area_code": "731"})
    assert unknown.status_code == 404
    assert client.post(f"/accounts/officers/{grant.user_id + 1000}/disable/").status_code == 404


def test_disabling_refuses_the_existing_session_and_token_at_once(admins, areas):
    grant = grant_role("0913300003", Role.HEALTH_OFFICER, areas["25993"])
    api = client_for("0913300003")
    portal = Client()
    portal.force_login(grant.user)
    assert portal.get("/alerts/").status_code == 200
    assert api.get("/api/v1/me").status_code == 200

    client = admins["dong_nai"]
    confirm = client.get(f"/accounts/officers/{grant.user_id}/disable/")
    assert confirm.status_code == 200 and 'id="confirm-action"' in confirm.content.decode()
    assert User.objects.get(pk=grant.user_id).is_active  # asking changed nothing

    done = client.post(f"/accounts/officers/{grant.user_id}/disable/")
    assert done.status_code == 302
    assert portal.get("/alerts/").status_code == 302  # back to the login page
    me = api.get("/api/v1/me")
    assert me.status_code == 401 and me.json()["error"]["code"]
    assert not ApiToken.objects.filter(user_id=grant.user_id, revoked_at__isnull=True).exists()
    entry = AuditEntry.objects.get(action="account_disabled")
    assert entry.target == f"accounts.user:{grant.user_id}"
    assert entry.reason == "before=active after=disabled tokens_revoked=1"

    again = client.post(f"/accounts/officers/{grant.user_id}/disable/")
    assert again.status_code == 409 and _code(again) == "account_disabled"
    assert client.post(f"/accounts/officers/{grant.user_id}/enable/").status_code == 302
    assert User.objects.get(pk=grant.user_id).is_active
    assert AuditEntry.objects.filter(action="account_enabled").count() == 1


def test_logging_out_everywhere_keeps_the_account(admins, areas):
    grant = grant_role("0913300004", Role.OFFICER, areas["731"])
    api = client_for("0913300004")
    portal = Client()
    portal.force_login(grant.user)
    assert admins["country"].post(
        f"/accounts/officers/{grant.user_id}/sessions/").status_code == 302
    assert portal.get("/reports/").status_code == 302
    assert api.get("/api/v1/me").status_code == 401
    assert User.objects.get(pk=grant.user_id).is_active
    assert client_for("0913300004").get("/api/v1/me").status_code == 200  # may log in again
    assert AuditEntry.objects.get(action="sessions_revoked").reason == "tokens_revoked=1"


def test_out_of_scope_and_own_accounts_are_refused(admins, areas):
    both = grant_role("0913300005", Role.OFFICER, areas["731"])
    grant_role("0913300005", Role.OFFICER, areas["718"])  # also in the other province
    client = admins["dong_nai"]
    refused = client.post(f"/accounts/officers/{both.user_id}/disable/")
    assert refused.status_code == 403 and _code(refused) == "account_out_of_scope"
    assert _code(client.get(f"/accounts/officers/{both.user_id}/")) == "account_out_of_scope"
    country = client.post(f"/accounts/officers/{admins['country'].user.pk}/disable/")
    assert country.status_code == 404  # a country-wide admin is not in a province's list
    own = client.post(f"/accounts/officers/{client.user.pk}/disable/")
    assert own.status_code == 403 and _code(own) == "own_account"
    assert User.objects.filter(is_active=False).count() == 0
    assert not AuditEntry.objects.filter(action="account_disabled").exists()


def test_revoking_an_admin_grant_takes_away_the_admin_flags(admins, areas):
    grant = grant_role("0913300006", Role.ADMIN, areas["731"])
    assert User.objects.get(pk=grant.user_id).is_superuser
    client = admins["dong_nai"]
    assert client.get(
        f"/accounts/officers/{grant.user_id}/grants/{grant.pk}/revoke/").status_code == 200
    assert client.post(
        f"/accounts/officers/{grant.user_id}/grants/{grant.pk}/revoke/").status_code == 302
    user = User.objects.get(pk=grant.user_id)
    assert not user.is_superuser and not user.grants.exists()
    assert AuditEntry.objects.get(action="role_revoked").reason == "before=admin@731/* after=-"


ROSTER_BAD = ("phone,role,area_code,sector,display_name\n"
              "0913400001,health_officer,25993,,Nguyễn Văn Một\n"
              "0913400002,emperor,25993,,Hai\n"
              "0913400003,officer,25741,,Ba\n"
              "not-a-phone,officer,731,,Bốn\n"
              "0913400001,health_officer,25993,,Một lần nữa\n")


def _upload(client, text: str, name: str = "roster.csv"):
    """Send the roster through the page, which queues it as a task (any size) and goes to
    the task's page; then run the task as a worker would."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kiemdich.jobs.models import Task
    from tests.conftest import run_queued_tasks

    response = client.post("/accounts/officers/import/",
                           {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})
    assert response.status_code == 302 and "/jobs/" in response["Location"], response.content
    run_queued_tasks()
    task = Task.objects.order_by("-pk").first()
    page = client.get(response["Location"])
    assert page.status_code == 200
    return task, page.content.decode()


def test_a_roster_with_bad_rows_reports_each_and_imports_nothing(admins):
    from kiemdich.jobs import tasks

    task, page = _upload(admins["dong_nai"], ROSTER_BAD)
    assert task.status == "rejected" and task.kind == "accounts.roster"
    assert "Không dòng nào được nhập" in page and "data-task-error-file" in page
    errors = {row: column for row, column, _message in tasks.errors_of(task)}
    assert errors == {3: "role", 4: "area_code", 5: "phone", 6: "phone"}
    # The reasons never repeat the row.
    assert not any("0913400" in message for _r, _c, message in tasks.errors_of(task))
    assert not User.objects.filter(phone__startswith="+8491340").exists()


def test_a_good_roster_is_imported_and_audited(admins):
    text = ("phone,role,area_code,sector,display_name\n"
            "0913400001,health_officer,25993,,Nguyễn Văn Một\n"
            "0913400002,inspector,731,trade,\n"
            "0913400003,officer,75,,\n")
    task, _page = _upload(admins["dong_nai"], text)
    assert (task.status, task.done, task.total, task.error_count) == ("done", 3, 3, 0)
    assert sorted(Grant.objects.filter(user__phone__startswith="+8491340")
                  .values_list("role", "area__code")) == [
        ("health_officer", "25993"), ("inspector", "731"), ("officer", "75")]
    assert AuditEntry.objects.filter(action="role_granted").count() == 3 + 3  # 3 admins
    assert AuditEntry.objects.get(action="officers_imported").reason == "rows=3"
    again, _page = _upload(admins["dong_nai"], text)  # sent again: no change
    assert again.status == "done"
    assert Grant.objects.filter(user__phone__startswith="+8491340").count() == 3


def test_a_roster_of_any_size_is_imported_in_chunks_with_checkpoints(admins, monkeypatch):
    """More rows than the old limit of 2,000, in chunks: the task's progress is committed
    after each, and a run taken up from a checkpoint grants each row once."""
    from kiemdich.accounts import officers
    from kiemdich.jobs.models import Task

    monkeypatch.setattr(officers, "ROSTER_CHUNK_ROWS", 700)
    rows = "".join(f"09135{n:05d},officer,25993\n" for n in range(2100))
    task, page = _upload(admins["dong_nai"], "phone,role,area_code\n" + rows)
    assert (task.status, task.done, task.total) == ("done", 2100, 2100), task.message
    assert Grant.objects.filter(user__phone__startswith="+8491350").count() == 2100
    assert task.counts == {"imported": 2100}
    assert Task.objects.get(pk=task.pk).state == {"phase": "write", "row": 2100}


def test_a_roster_from_an_admin_of_another_province_is_refused_row_by_row(admins):
    from kiemdich.jobs import tasks

    text = "phone,role,area_code\n0913400011,officer,25993\n0913400012,officer,718\n"
    task, _page = _upload(admins["dong_nai"], text)
    assert task.status == "rejected"
    assert [(r, c) for r, c, _m in tasks.errors_of(task)] == [(3, "area_code")]
    assert not User.objects.filter(phone__in=["+84913400011", "+84913400012"]).exists()


@pytest.mark.parametrize(("text", "code"), [
    ("phone,role\n0913400001,officer\n", "csv_columns"),
    ("phone,role,area_code\n\xff\n", "csv_encoding"),
])
def test_an_unreadable_roster_is_refused_with_its_code(admins, text, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = text.encode("latin-1") if code == "csv_encoding" else text.encode()
    response = admins["country"].post("/accounts/officers/import/",
                                      {"file": SimpleUploadedFile("r.csv", data)})
    assert response.status_code == 422 and _code(response) == code
