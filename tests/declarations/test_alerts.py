"""Symptom alerts reach exactly the health officers whose area covers the person's commune."""

from __future__ import annotations

import pytest

from kiemdich.declarations.models import AlertAction, SymptomAlert
from kiemdich.declarations.services import alert_recipients
from kiemdich.privacy.models import AuditEntry
from tests.people.support import add_child, answers, ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers(areas, make_officer):
    """Health officers at every level around commune 25993, and others who must not see."""
    return {
        "commune": make_officer("0913000001", "health_officer", areas["25993"]),
        "district": make_officer("0913000002", "health_officer", areas["731"]),
        "province": make_officer("0913000003", "health_officer", areas["75"]),
        "country": make_officer("0913000004", "health_officer", None),
        "other_commune": make_officer("0913000005", "health_officer", areas["25996"]),
        "other_district": make_officer("0913000006", "health_officer", areas["740"]),
        "other_province": make_officer("0913000007", "health_officer", areas["74"]),
        "other_role": make_officer("0913000008", "officer", areas["75"]),
        "inspector": make_officer("0913000009", "inspector", areas["25993"]),
    }


SEE = {"commune", "district", "province", "country"}


def test_an_alert_is_routed_to_exactly_the_covering_health_officers(lan, officers):
    ready(lan)
    child = add_child(lan, commune="25993", id_number="079215012345")
    response = lan.post(f"/api/v1/people/{child['id']}/declarations", answers(fever=True))
    assert response.json()["alert_raised"] is True
    alert = SymptomAlert.objects.get()
    assert alert.area.code == "25993" and alert.person_id == child["id"]

    recipients = set(alert_recipients(alert).values_list("phone", flat=True))
    assert recipients == {officers[name].user.phone for name in SEE}

    for name, client in officers.items():
        queue = client.get("/api/v1/alerts")
        assert queue.status_code == 200
        ids = [a["id"] for a in queue.json()]
        assert ids == ([alert.pk] if name in SEE else []), name


def test_the_queue_carries_the_persons_contact_details_and_audits_the_view(lan, officers):
    ready(lan)
    child = add_child(lan, phone="0987654321", id_number="079215012345")
    lan.post(f"/api/v1/people/{child['id']}/declarations", answers(contact_case=True))
    alert = officers["commune"].get("/api/v1/alerts").json()[0]
    assert alert["person"]["display_name"] == "Nguyễn Minh An"
    assert alert["person"]["phone"] == "0987654321"
    assert alert["person"]["id_number"] == "079215012345"
    assert alert["declaration"]["contact_case"] is True
    assert AuditEntry.objects.filter(action="view_full_person",
                                     target=f"people.person:{child['id']}").exists()


def test_officers_record_what_was_done(lan, officers):
    ready(lan)
    me = lan.get("/api/v1/people").json()[0]["id"]
    lan.post(f"/api/v1/people/{me}/declarations", answers(cough=True))
    alert_id = SymptomAlert.objects.get().pk
    officer = officers["district"]
    for status in ("called", "tested", "referred", "closed"):
        response = officer.post(f"/api/v1/alerts/{alert_id}/actions",
                                {"status": status, "note": f"đã {status}"})
        assert response.status_code == 201, response.content
    assert SymptomAlert.objects.get().status == "closed"
    assert list(AlertAction.objects.order_by("pk").values_list("status", flat=True)) == [
        "called", "tested", "referred", "closed"]
    assert officer.get("/api/v1/alerts").json() == []
    assert len(officer.get("/api/v1/alerts", {"status": "all"}).json()) == 1


def test_officers_of_other_areas_cannot_act_on_an_alert(lan, officers):
    ready(lan)
    me = lan.get("/api/v1/people").json()[0]["id"]
    lan.post(f"/api/v1/people/{me}/declarations", answers(cough=True))
    alert_id = SymptomAlert.objects.get().pk
    for name in ("other_commune", "other_province", "other_role"):
        response = officers[name].post(f"/api/v1/alerts/{alert_id}/actions",
                                       {"status": "closed"})
        assert response.status_code == 404, name
    assert lan.post(f"/api/v1/alerts/{alert_id}/actions", {"status": "closed"}).status_code \
        == 404
    bad = officers["commune"].post(f"/api/v1/alerts/{alert_id}/actions", {"status": "open"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    assert SymptomAlert.objects.get().status == "open"


def test_the_alert_pages_show_the_queue_only_to_covering_officers(lan, officers, client):
    ready(lan)
    me = lan.get("/api/v1/people").json()[0]["id"]
    lan.post(f"/api/v1/people/{me}/declarations", answers(fever=True))
    alert_id = SymptomAlert.objects.get().pk

    client.force_login(officers["commune"].user)
    page = client.get("/alerts/")
    assert page.status_code == 200 and f'data-alert="{alert_id}"' in page.content.decode()
    detail = client.get(f"/alerts/{alert_id}/")
    assert detail.status_code == 200 and "0912000001" in detail.content.decode()
    done = client.post(f"/alerts/{alert_id}/", {"status": "called", "note": "gọi lúc 9h"})
    assert done.status_code == 302
    assert SymptomAlert.objects.get().status == "called"

    client.force_login(officers["other_province"].user)
    assert f'data-alert="{alert_id}"' not in client.get("/alerts/").content.decode()
    assert client.get(f"/alerts/{alert_id}/").status_code == 404
    client.force_login(lan.user)
    assert client.get("/alerts/").status_code == 404
