"""Data-subject rights: deleting one's account within 72 hours (except what an open case
holds, which the person is told), withdrawing consent, correcting one's data."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kiemdich.accounts.models import ApiToken, User
from kiemdich.declarations.models import Declaration
from kiemdich.people.models import Consent, Credential, Person
from kiemdich.privacy.audit import verify_chain
from kiemdich.privacy.models import AuditEntry, DeletionRequest
from kiemdich.scans.models import Scan, Visit
from kiemdich.tracing.models import Case
from tests.privacy.factories import days_ago, person, self_person, venue, visit

pytestmark = pytest.mark.django_db


def _declare(who):
    now = timezone.now()
    return Declaration.objects.create(person=who, created_at=now,
                                      local_date=timezone.localdate(now))


@pytest.fixture
def family(lan, minh, areas):
    """Lan, her child, their history at Minh's café, and someone else's."""
    me = self_person(lan.user)
    child = person(lan.user, "Con của Lan", relationship="con")
    cafe = venue(minh.user, areas["25993"])
    stranger = person(None, "Người lạ")
    for who in (me, child, stranger):
        visit(cafe, who, days_ago(3))
        _declare(who)
    Credential.objects.create(person=child, serial=424242, expires_at=days_ago(-90))
    Consent.objects.create(account=lan.user, version="2021-10")
    return {"me": me, "child": child, "cafe": cafe, "stranger": stranger}


def test_a_deletion_request_answers_202_and_is_carried_out_by_the_scheduler(lan, family):
    response = lan.post("/api/v1/me/delete")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["held_people"] == []
    due = timezone.datetime.fromisoformat(body["due_at"])
    assert due - timezone.datetime.fromisoformat(body["requested_at"]) == timedelta(hours=72)
    assert lan.post("/api/v1/me/delete").json()["id"] == body["id"]  # asking twice: one request
    assert lan.get("/api/v1/me/delete").json()["id"] == body["id"]

    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "deletion requests processed: 1" in out.getvalue()
    user_id = lan.user.pk
    assert not User.objects.filter(pk=user_id).exists()
    assert not Person.objects.filter(pk__in=[family["me"].pk, family["child"].pk]).exists()
    assert not Credential.objects.exists() and not Consent.objects.exists()
    assert not ApiToken.objects.filter(user_id=user_id).exists()
    assert list(Declaration.objects.values_list("person_id", flat=True)) \
        == [family["stranger"].pk]
    assert set(Visit.objects.values_list("person_id", flat=True)) == {family["stranger"].pk}
    assert set(Scan.objects.values_list("person_id", flat=True)) == {family["stranger"].pk}
    assert DeletionRequest.objects.get().status == "done"
    assert AuditEntry.objects.filter(action="account_deleted",
                                     target=f"accounts.user:{user_id}").exists()
    assert verify_chain()[1] is None
    assert lan.get("/api/v1/me").status_code == 401  # the token died with the account


def test_what_an_open_case_holds_is_kept_and_the_person_is_told(lan, family, make_officer):
    stay = Visit.objects.get(person=family["child"]).entered_at
    Case.objects.create(person=family["stranger"], confirmed_at=timezone.now(),
                        window_start=stay - timedelta(days=14), window_end=timezone.now(),
                        margin_minutes=60)
    body = lan.post("/api/v1/me/delete").json()
    assert set(body["held_people"]) == {family["me"].pk, family["child"].pk}
    assert "truy vết" in body["message"]

    call_command("process_deletions", stdout=StringIO())
    assert not User.objects.filter(phone="+84912000001").exists()
    kept = Person.objects.filter(pk__in=[family["me"].pk, family["child"].pk])
    assert kept.count() == 2 and not kept.filter(account__isnull=False).exists()
    assert Visit.objects.filter(person_id=family["child"].pk).count() == 1
    assert not Declaration.objects.filter(person_id=family["child"].pk).exists()
    assert not Credential.objects.exists()
    assert DeletionRequest.objects.get().status == "held"

    Case.objects.update(status=Case.Status.CLOSED)
    call_command("purge_expired", stdout=StringIO())
    assert not Person.objects.filter(pk__in=[family["me"].pk, family["child"].pk]).exists()
    assert not Visit.objects.filter(person_id=family["child"].pk).exists()
    assert DeletionRequest.objects.get().status == "done"


def test_an_owner_of_venues_must_hand_them_over_first(minh, areas):
    venue(minh.user, areas["25993"])
    response = minh.post("/api/v1/me/delete")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "account_owns_venues"


def test_deletion_needs_a_login(anon):
    assert anon.post("/api/v1/me/delete").status_code == 401
    assert anon.post("/api/v1/consent/withdraw").status_code == 401


def test_no_pending_request_answers_404(lan):
    assert lan.get("/api/v1/me/delete").status_code == 404


def test_withdrawing_consent_stops_declaring_until_given_again(lan, family):
    assert lan.get("/api/v1/consent").json()["given"] is True
    response = lan.post("/api/v1/consent/withdraw")
    assert response.status_code == 200 and response.json()["withdrawn"] == 1
    assert lan.get("/api/v1/consent").json()["given"] is False
    assert Consent.objects.get().withdrawn_at is not None
    assert lan.post("/api/v1/consent/withdraw").json()["withdrawn"] == 0
    assert AuditEntry.objects.filter(action="consent_withdrawn").count() == 1


def test_a_person_corrects_their_data_but_not_someone_elses(lan, binh, family):
    child = family["child"]
    response = lan.patch(f"/api/v1/people/{child.pk}", {"full_name": "Trần Thị Bé"})
    assert response.status_code == 200, response.content
    assert response.json()["full_name"] == "Trần Thị Bé"
    assert binh.patch(f"/api/v1/people/{child.pk}", {"full_name": "X"}).status_code == 404
    bad = lan.patch(f"/api/v1/people/{child.pk}", {"id_number": "12"})
    assert bad.status_code == 422


def test_the_pages_show_the_rights_and_carry_them_out(lan, family):
    client = Client()
    client.force_login(lan.user)
    page = client.get("/privacy/").content.decode()
    assert "Con của Lan" in page and "2021-10" in page and "/people/my-data.json" in page
    assert client.post("/privacy/delete/", {}).status_code == 400  # not confirmed
    response = client.post("/privacy/delete/", {"confirm": "on"}, follow=True)
    assert response.status_code == 200
    assert DeletionRequest.objects.filter(account=lan.user, status="pending").exists()
    assert "hạn chót" in response.content.decode()
    client.post("/privacy/consent/withdraw/")
    assert Consent.objects.get().withdrawn_at is not None


def test_the_pages_need_a_login_and_csrf(lan):
    assert Client().get("/privacy/").status_code == 302
    client = Client(enforce_csrf_checks=True)
    client.force_login(lan.user)
    assert client.post("/privacy/delete/", {"confirm": "on"}).status_code == 403
    assert client.post("/privacy/consent/withdraw/").status_code == 403
    assert not DeletionRequest.objects.exists()


def test_the_home_page_links_each_visitor_to_their_privacy_pages(lan, admin_client,
                                                                 make_officer, areas):
    client = Client()
    client.force_login(lan.user)
    home = client.get("/").content.decode()
    assert "/privacy/" in home and "/privacy/audit/" not in home and "/privacy/flags/" not in home
    client.force_login(admin_client.user)
    home = client.get("/").content.decode()
    assert "/privacy/audit/" in home and "/privacy/flags/" in home
    client.force_login(make_officer("0912000020", "officer", areas["731"]).user)
    home = client.get("/").content.decode()
    assert "/privacy/flags/" in home and "/privacy/audit/" not in home
