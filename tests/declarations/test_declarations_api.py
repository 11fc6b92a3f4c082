"""Health declarations: the rules, "declared today" at midnight in Vietnam, and consent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kiemdich.declarations.models import Declaration, SymptomAlert
from kiemdich.declarations.services import declared_today
from kiemdich.people.services import CONSENT_VERSION
from tests.people.support import add_child, answers, ready

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def declare(client, person_id, **changes):
    return client.post(f"/api/v1/people/{person_id}/declarations", answers(**changes))


def test_it_records_a_declaration_without_symptoms(lan, areas):
    me = ready(lan)
    response = declare(lan, me)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_symptoms"] is False and body["has_exposure"] is False
    assert body["alert_raised"] is False
    assert not SymptomAlert.objects.exists()
    assert lan.get("/api/v1/people").json()[0]["declared_today"] is True


def test_it_declares_for_a_dependant_and_as_often_as_needed(lan, areas):
    ready(lan)
    child = add_child(lan)
    assert declare(lan, child["id"]).status_code == 201
    assert declare(lan, child["id"], cough=True).status_code == 201
    rows = Declaration.objects.filter(person_id=child["id"])
    assert rows.count() == 2 and rows.filter(submitted_by=lan.user).count() == 2


def test_it_refuses_to_declare_before_consent(lan, areas):
    me = lan.get("/api/v1/people").json()[0]["id"]
    lan.patch(f"/api/v1/people/{me}", {"full_name": "Lan", "area_code": "25993"})
    response = declare(lan, me)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "consent_required"
    assert response.json()["error"]["version"] == CONSENT_VERSION
    assert lan.get("/api/v1/consent").json()["given"] is False
    wrong = lan.post("/api/v1/consent", {"version": "1999"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "consent_version_unknown"
    given = lan.post("/api/v1/consent", {"version": CONSENT_VERSION})
    assert given.status_code == 201 and given.json()["given_at"]
    assert declare(lan, me).status_code == 201


def test_it_asks_for_a_complete_profile_first(lan, areas):
    lan.post("/api/v1/consent", {"version": CONSENT_VERSION})
    me = lan.get("/api/v1/people").json()[0]["id"]
    response = declare(lan, me)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "profile_incomplete"
    assert response.json()["error"]["field"] == "full_name"


def test_it_answers_404_for_someone_the_account_does_not_manage(lan, minh, areas):
    ready(lan)
    child = add_child(lan)
    ready(minh)
    assert declare(minh, child["id"]).status_code == 404
    assert minh.post(f"/api/v1/people/{child['id']}/declarations/renew").status_code == 404
    assert minh.get(f"/api/v1/people/{child['id']}/declarations").status_code == 404
    assert not Declaration.objects.exists()


@pytest.mark.parametrize("field", ["fever", "cough", "visited_places", "contact_case",
                                   "contact_symptomatic"])
def test_it_answers_422_naming_a_missing_answer(lan, areas, field):
    me = ready(lan)
    body = answers()
    del body[field]
    response = lan.post(f"/api/v1/people/{me}/declarations", body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize("changes, field", [
    ({"visited_places": True, "visited_places_text": ""}, "visited_places_text"),
    ({"visited_places": False, "visited_places_text": "Hà Nội"}, "visited_places_text"),
    ({"fever": "maybe"}, "fever"),
    ({"language": "fr"}, "language"),
    ({"other_symptoms": "x" * 501}, "other_symptoms"),
])
def test_it_answers_422_naming_a_contradictory_or_bad_answer(lan, areas, changes, field):
    me = ready(lan)
    response = declare(lan, me, **changes)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["field"] == field
    assert not Declaration.objects.exists()


@pytest.mark.parametrize("changes, symptoms, exposure", [
    ({"fever": True}, True, False),
    ({"other_symptoms": "mất vị giác"}, True, False),
    ({"contact_case": True}, False, True),
    ({"visited_places": True, "visited_places_text": "TP.HCM"}, False, False),
])
def test_it_derives_symptoms_and_exposure(lan, areas, changes, symptoms, exposure):
    me = ready(lan)
    body = declare(lan, me, **changes).json()
    assert (body["has_symptoms"], body["has_exposure"]) == (symptoms, exposure)
    assert SymptomAlert.objects.exists() == (symptoms or exposure)


def test_declared_today_turns_over_at_midnight_in_vietnam(lan, areas):
    me = ready(lan)
    with time_machine.travel(datetime(2021, 10, 5, 23, 59, 30, tzinfo=VN), tick=False) as t:
        declare(lan, me, fever=True)
        assert declared_today([me])[me] == (True, True)
        assert Declaration.objects.get().local_date.isoformat() == "2021-10-05"
        t.move_to(datetime(2021, 10, 6, 0, 0, 1, tzinfo=VN))
        assert declared_today([me])[me] == (False, False)
        assert lan.get("/api/v1/people").json()[0]["declared_today"] is False
        declare(lan, me)
        assert Declaration.objects.latest("pk").local_date.isoformat() == "2021-10-06"
        assert declared_today([me])[me] == (True, False)


def test_declared_today_uses_the_vietnamese_day_not_utc(lan, areas):
    me = ready(lan)
    # 17:30 UTC on the 5th is 00:30 on the 6th in Vietnam.
    with time_machine.travel(datetime(2021, 10, 5, 17, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        declare(lan, me)
    assert Declaration.objects.get().local_date.isoformat() == "2021-10-06"


def test_a_later_declaration_without_symptoms_clears_todays_flag(lan, areas):
    me = ready(lan)
    declare(lan, me, cough=True)
    assert declared_today([me])[me] == (True, True)
    declare(lan, me)
    assert declared_today([me])[me] == (True, False)


def test_declared_today_is_one_query_for_many_people(lan, areas):
    me = ready(lan)
    ids = [me] + [add_child(lan, name=f"Con {n}")["id"] for n in range(5)]
    for person_id in ids[:3]:
        declare(lan, person_id)
    with CaptureQueriesContext(connection) as queries:
        result = declared_today(ids)
    assert len(queries) == 1
    assert [result[i][0] for i in ids] == [True, True, True, False, False, False]


def test_it_renews_with_one_tap_copying_the_last_answers(lan, areas):
    me = ready(lan)
    assert lan.post(f"/api/v1/people/{me}/declarations/renew").json()["error"]["code"] == \
        "no_previous_declaration"
    declare(lan, me, visited_places=True, visited_places_text="Vũng Tàu")
    renewed = lan.post(f"/api/v1/people/{me}/declarations/renew")
    assert renewed.status_code == 201
    assert renewed.json()["visited_places_text"] == "Vũng Tàu"
    assert renewed.json()["has_symptoms"] is False
    declare(lan, me, fatigue=True)
    refused = lan.post(f"/api/v1/people/{me}/declarations/renew")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "renewal_not_allowed"


def test_it_lists_a_persons_declarations_newest_first(lan, areas):
    me = ready(lan)
    declare(lan, me)
    declare(lan, me, cough=True)
    rows = lan.get(f"/api/v1/people/{me}/declarations").json()
    assert [r["cough"] for r in rows] == [True, False]


def test_the_openapi_document_describes_the_citizen_endpoints(anon):
    paths = anon.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/people", "/api/v1/people/{person_id}",
                 "/api/v1/people/{person_id}/declarations", "/api/v1/people/{person_id}/qr",
                 "/api/v1/people/{person_id}/qr.png", "/api/v1/people/{person_id}/card.pdf",
                 "/api/v1/people/{person_id}/cards/{serial}/revoke", "/api/v1/qr/revocations",
                 "/api/v1/consent", "/api/v1/me/export", "/api/v1/alerts"):
        assert path in paths, path
    declare = paths["/api/v1/people/{person_id}/declarations"]["post"]
    assert "requestBody" in declare and {"201", "404", "409", "422"} <= set(declare["responses"])
