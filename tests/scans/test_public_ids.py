"""Personal data that leaked by construction: the personal code names a random public id, not
the sequential database id; masked scan answers, batch results and live events carry no
identifier of the person at all; codes of the older format are refused (in-app) or accepted
until they expire (printed cards). Through the API, as a venue and a citizen see it."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from kiemdich.people.codes import PUBLIC_ID_FLOOR, Claims, default_keyring
from kiemdich.people.models import Credential, Person
from kiemdich.scans.services import live_snapshot, visitor_token
from tests.people.support import add_child, ready
from tests.scans.servers import first_scan_event, thread_server

pytestmark = pytest.mark.django_db

MASKED_KEYS = {"display_name", "phone", "id_number", "birth", "birth_text", "masked"}


def scans_url(venue) -> str:
    return f"/api/v1/venues/{venue.pk}/scans"


def subject_of(code: str) -> int:
    return default_keyring().verify(code).subject


def test_codes_name_a_random_public_id_never_the_database_id(lan, areas):
    me = ready(lan)
    children = [add_child(lan, name=f"Con {n}")["id"] for n in range(3)]
    subjects = []
    for person_id in [me, *children]:
        payload = lan.get(f"/api/v1/people/{person_id}/qr").json()["payload"]
        subject = subject_of(payload)
        person = Person.objects.get(pk=person_id)
        assert subject == person.public_id != person_id
        assert subject >= PUBLIC_ID_FLOOR
        subjects.append(subject)
    # Not a sequence: no two people made one after the other have neighbouring subjects.
    gaps = [abs(b - a) for a, b in zip(subjects, subjects[1:], strict=False)]
    assert min(gaps) > 1000


def test_a_masked_scan_answer_carries_no_identifier(venue, hoa, lan_person, lan_code):
    response = hoa.post(scans_url(venue), {"code": lan_code, "direction": "in"})
    assert response.status_code == 201
    person = response.json()["person"]
    assert person["masked"] is True and person.get("id") is None
    assert {k for k, v in person.items() if v is not None} == MASKED_KEYS
    text = response.content.decode()
    assert str(lan_person.public_id) not in text
    # A repeated nonce answers the first answer again, still without an id.
    again = hoa.post(scans_url(venue), {"code": lan_code, "direction": "in", "nonce": "n-1"})
    replay = hoa.post(scans_url(venue), {"code": lan_code, "direction": "in", "nonce": "n-1"})
    assert (again.status_code, replay.status_code) == (201, 200)
    assert replay.json()["person"].get("id") is None


def test_a_batch_and_the_live_snapshot_carry_no_identifier(venue, hoa, lan_person, lan_code):
    response = hoa.post(scans_url(venue) + "/batch",
                        {"scans": [{"code": lan_code, "direction": "in", "nonce": "b-1"}]})
    (result,) = response.json()["results"]
    assert result["status"] == 201
    assert set(result["body"]["person"]) == MASKED_KEYS
    snapshot = live_snapshot(venue, "test")
    (row,) = snapshot["inside"]
    assert set(row["person"]) == MASKED_KEYS
    assert row["visitor"] == visitor_token(venue.pk, timezone.localdate(), lan_person.pk)


def test_the_visitor_token_links_an_entry_to_its_exit_and_nothing_else(venue, other_venue):
    today = timezone.localdate()
    token = visitor_token(venue.pk, today, 5)
    assert token == visitor_token(venue.pk, today, 5)
    others = {visitor_token(other_venue.pk, today, 5),
              visitor_token(venue.pk, today - timedelta(days=1), 5),
              visitor_token(venue.pk, today, 6)}
    assert token not in others and len(others) == 3


@pytest.mark.django_db(transaction=True)
def test_a_live_event_carries_the_masked_person_and_only_the_visit_token(
        venue, minh, hoa, lan_person, settings):
    settings.PUBSUB_BACKEND = "memory"
    with thread_server() as base:
        event = first_scan_event(
            f"{base}/api/v1/venues/{venue.pk}/live", minh.token,
            lambda: httpx.post(f"{base}{scans_url(venue)}",
                               json={"phone": "0912000001", "direction": "in"},
                               headers={"Authorization": f"Bearer {hoa.token}"}, timeout=20))
    assert set(event["person"]) == MASKED_KEYS
    assert event["visitor"] == visitor_token(venue.pk, timezone.localdate(), lan_person.pk)
    assert str(lan_person.pk) not in json.dumps(event["person"])


def test_an_in_app_code_of_the_older_format_is_refused_with_its_own_code(
        venue, hoa, lan_person):
    now = timezone.now()
    old = default_keyring().sign(Claims("app", lan_person.pk, 0, now,
                                        now + timedelta(hours=12)))
    response = hoa.post(scans_url(venue), {"code": old, "direction": "in"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "code_outdated" and "ứng dụng" in error["message"]


def test_a_printed_card_of_the_older_format_scans_until_it_expires(venue, hoa, lan_person):
    now = timezone.now()
    credential = Credential.objects.create(person=lan_person, serial=4242,
                                           expires_at=now + timedelta(days=90))
    old = default_keyring().sign(Claims("card", lan_person.pk, credential.serial, now,
                                        credential.expires_at))
    response = hoa.post(scans_url(venue), {"code": old, "direction": "in"})
    assert response.status_code == 201, response.content
    assert response.json()["code_format"] == "kd_card"
    # Revoked, it is refused like any card.
    Credential.objects.filter(pk=credential.pk).update(revoked_at=now)
    refused = hoa.post(scans_url(venue), {"code": old, "direction": "out"})
    assert refused.json()["error"]["code"] == "code_revoked"
    # The serial of this person's card does not make an old code naming another one valid.
    Credential.objects.filter(pk=credential.pk).update(revoked_at=None)
    someone = Person.objects.create(full_name="Người khác")
    other = default_keyring().sign(Claims("card", someone.pk, credential.serial, now,
                                          credential.expires_at))
    response = hoa.post(scans_url(venue), {"code": other, "direction": "in"})
    assert response.json()["error"]["code"] == "code_revoked"
