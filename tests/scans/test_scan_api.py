"""POST /api/v1/venues/{id}/scans: who may scan, what is answered, what is stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.utils import timezone

from kiemdich.core.protect import decrypt_id, id_digest
from kiemdich.declarations.models import Declaration
from kiemdich.people.codes import Claims, Keyring, default_keyring, issue_app_code
from kiemdich.people.models import Person
from kiemdich.privacy.models import AuditEntry
from kiemdich.scans.models import Method, Scan, Visit
from tests.conftest import ApiClient
from tests.scans.conftest import CCCD, NATIONAL_QR, at, scans_url
from tests.shared_redis import shared_redis_cache

pytestmark = pytest.mark.django_db


def declare(person: Person, sick: bool = False) -> None:
    now = timezone.now()
    Declaration.objects.create(person=person, created_at=now, local_date=timezone.localdate(),
                               fever=sick, has_symptoms=sick)


def test_it_accepts_a_personal_code_from_staff_and_masks_the_person(venue, hoa, lan_person,
                                                                   lan_code):
    declare(lan_person)
    response = hoa.post(scans_url(venue), {"code": lan_code, "direction": "in"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["result"] == "ok"
    assert body["declared_today"] is True and body["has_symptoms"] is False
    assert body["declaration"] == "declared"
    assert body["person"]["display_name"] == "Nguyễn T** L**"
    assert body["person"]["phone"] == "091****001"
    assert body["person"]["masked"] is True
    assert body["visit"] == "opened"
    scan = Scan.objects.get(pk=body["scan_id"])
    assert (scan.accepted, scan.method, scan.code_format) == (True, Method.STAFF, "kd_app")
    assert scan.actor_id == hoa.user.pk and scan.person_id == lan_person.pk
    visit = Visit.objects.get(person=lan_person)
    assert visit.entered_at == scan.scanned_at and visit.left_at is None
    assert visit.closes_at == scan.scanned_at + timedelta(minutes=60) \
        or visit.closes_at.hour == 17  # capped at local midnight (UTC+7)


def test_it_says_when_the_latest_declaration_has_symptoms(venue, minh, lan_person, lan_code):
    declare(lan_person, sick=True)
    body = minh.post(scans_url(venue), {"code": lan_code, "direction": "in",
                                        "nonce": "sick-1"}).json()
    assert body["declared_today"] is True and body["has_symptoms"] is True
    assert body["declaration"] == "symptoms"
    # A repeated nonce answers the same, declaration included.
    again = minh.post(scans_url(venue), {"code": lan_code, "direction": "in", "nonce": "sick-1"})
    assert again.status_code == 200 and again.json()["declaration"] == "symptoms"


def test_a_replay_of_a_scan_stored_before_the_declaration_field_still_answers_it(
        venue, minh, lan_person, lan_code):
    declare(lan_person)
    first = minh.post(scans_url(venue), {"code": lan_code, "direction": "in", "nonce": "old-1"})
    scan = Scan.objects.get(pk=first.json()["scan_id"])
    del scan.response["declaration"]
    Scan.objects.filter(pk=scan.pk).update(response=scan.response)
    again = minh.post(scans_url(venue), {"code": lan_code, "direction": "in", "nonce": "old-1"})
    assert again.status_code == 200 and again.json()["declaration"] == "declared"


def test_it_answers_not_declared_for_someone_without_a_declaration(venue, minh, lan_code):
    body = minh.post(scans_url(venue), {"code": lan_code, "direction": "in"}).json()
    assert body["declared_today"] is False and body["has_symptoms"] is False
    assert body["declaration"] == "not_declared"


def test_a_special_venue_sees_everything_and_it_is_audited(hospital, minh, lan_person, lan_code):
    lan_person.birth_date = timezone.localdate().replace(year=1990)
    lan_person.save()
    response = minh.post(scans_url(hospital), {"code": lan_code, "direction": "in"})
    assert response.status_code == 201
    person = response.json()["person"]
    assert person["display_name"] == "Nguyễn Thị Lan" and person["phone"] == "0912000001"
    assert person["masked"] is False and len(person["birth"]) == 10
    assert AuditEntry.objects.filter(action="view_full_person",
                                     target=f"people.person:{lan_person.pk}").exists()


def test_strangers_owners_of_other_venues_and_anonymous_callers_get_404(
        venue, other_venue, binh, lan, anon, lan_code):
    for client in (binh, lan):
        response = client.post(scans_url(venue), {"code": lan_code, "direction": "in"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "venue_unknown"
    assert anon.post(scans_url(venue), {"code": lan_code, "direction": "in"}).status_code == 401
    assert binh.post("/api/v1/venues/999999/scans",
                     {"code": lan_code, "direction": "in"}).status_code == 404
    assert not Scan.objects.exists()


def test_a_reader_scans_with_its_device_token_only_at_its_venue(venue, other_venue, reader,
                                                                lan_code):
    device = ApiClient()
    auth = {"HTTP_AUTHORIZATION": f"Device {reader}"}
    response = device.post(scans_url(venue), {"code": lan_code, "direction": "in"}, **auth)
    assert response.status_code == 201, response.content
    assert Scan.objects.get().method == Method.DEVICE
    assert device.post(scans_url(other_venue), {"code": lan_code, "direction": "in"},
                       **auth).status_code == 404
    assert device.post(scans_url(venue), {"code": lan_code, "direction": "in"},
                       HTTP_AUTHORIZATION="Device kdd_wrong").status_code == 401


@pytest.mark.parametrize("mangle, reason", [
    (lambda code: "hello world", "code_unreadable"),
    (lambda code: code[:-3] + ("AAA" if code[-3:] != "AAA" else "BBA"), "code_forged"),
])
def test_refused_codes_answer_422_and_are_recorded(venue, hoa, lan_code, mangle, reason):
    response = hoa.post(scans_url(venue), {"code": mangle(lan_code), "direction": "in"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == reason
    scan = Scan.objects.get()
    assert scan.accepted is False and scan.reason == response.json()["error"]["code"]
    assert scan.received_at is not None and not Visit.objects.exists()


def test_a_forged_signature_is_named_forged(venue, hoa, lan_person):
    kid = default_keyring().active_kid
    # Same key id as ours, another key: the signature cannot match.
    forged = Keyring({kid: Ed25519PrivateKey.generate()})
    now = timezone.now()
    code = forged.sign(Claims("app", lan_person.public_id, 0, now, now + timedelta(hours=12)))
    response = hoa.post(scans_url(venue), {"code": code, "direction": "in"})
    assert response.json()["error"]["code"] == "code_forged"
    assert Scan.objects.get().reason == "code_forged"


def test_an_expired_code_is_refused(venue, hoa, lan_person):
    now = timezone.now()
    code = default_keyring().sign(Claims("app", lan_person.public_id, 0, now - timedelta(days=2),
                                         now - timedelta(days=1)))
    response = hoa.post(scans_url(venue), {"code": code, "direction": "in"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "code_expired")
    assert Scan.objects.get().reason == "code_expired"


def test_a_revoked_card_is_refused_and_a_valid_one_accepted(venue, hoa, lan_person, card_of):
    good, revoked = card_of(lan_person), card_of(lan_person, revoked=True)
    assert hoa.post(scans_url(venue), {"code": good, "direction": "in"}).status_code == 201
    response = hoa.post(scans_url(venue), {"code": revoked, "direction": "in"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "code_revoked")
    refused = Scan.objects.get(accepted=False)
    assert refused.reason == "code_revoked" and refused.person_id == lan_person.pk


def test_a_chip_id_card_makes_a_scanned_person_tracing_can_find(venue, hoa):
    response = hoa.post(scans_url(venue), {"code": CCCD, "direction": "in"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code_format"] == "cccd"
    assert body["person"]["id_number"] == "******123456"
    assert body["person"]["birth"] == "1990"
    person = Person.objects.get(id_number_digest=id_digest("001090123456"))
    assert person.source == Person.Source.SCANNED and person.full_name == "Trần Văn Bình"
    assert decrypt_id(person.id_number_cipher) == "001090123456"
    assert "001090123456" not in person.id_number_cipher
    # The same card again is the same person.
    assert hoa.post(scans_url(venue), {"code": CCCD, "direction": "out"}).status_code == 201
    assert Person.objects.filter(source=Person.Source.SCANNED).count() == 1
    assert Visit.objects.get(person=person).left_at is not None


def test_the_national_qr_standard_is_read(venue, hoa):
    response = hoa.post(scans_url(venue), {"code": NATIONAL_QR, "direction": "in"})
    assert response.status_code == 201, response.content
    assert response.json()["code_format"] == "national_qr"
    person = Person.objects.get(id_number_digest=id_digest("001090123457"))
    assert person.phone == "+84912345678" and person.birth_date.year == 1985


def scanned(body: dict) -> int:
    """Whom a scan answer was about: the masked answer names nobody, the stored scan does."""
    return Scan.objects.get(pk=body["scan_id"]).person_id


def test_a_scanned_id_matches_the_citizen_who_declared_it(venue, hoa, lan_person):
    lan_person.id_number_digest = id_digest("001090123456")
    lan_person.save()
    body = hoa.post(scans_url(venue), {"code": CCCD, "direction": "in"}).json()
    assert scanned(body) == lan_person.pk
    assert not Person.objects.filter(source=Person.Source.SCANNED).exists()


def test_manual_entry_by_phone_finds_the_citizen_or_creates_a_person(venue, hoa, lan_person):
    body = hoa.post(scans_url(venue), {"phone": "0912 000 001", "direction": "in"}).json()
    assert scanned(body) == lan_person.pk and body["code_format"] == "manual_phone"
    assert Scan.objects.get().method == Method.MANUAL
    body = hoa.post(scans_url(venue), {"phone": "0987654321", "full_name": "Bà Tư",
                                       "direction": "in"}).json()
    stranger = Person.objects.get(pk=scanned(body))
    assert (stranger.source, stranger.phone, stranger.full_name) == (
        Person.Source.MANUAL, "+84987654321", "Bà Tư")


def test_manual_entry_by_id_number(venue, hoa):
    body = hoa.post(scans_url(venue), {"id_number": "079 090 000 111", "direction": "in"}).json()
    person = Person.objects.get(pk=scanned(body))
    assert person.source == Person.Source.MANUAL
    assert decrypt_id(person.id_number_cipher) == "079090000111"


@pytest.mark.parametrize("payload, code", [
    ({"phone": "12345", "direction": "in"}, "phone_invalid"),
    ({"id_number": "12", "direction": "in"}, "id_number_invalid"),
])
def test_bad_manual_entries_are_refused_and_recorded(venue, hoa, payload, code):
    response = hoa.post(scans_url(venue), payload)
    assert (response.status_code, response.json()["error"]["code"]) == (422, code)
    assert Scan.objects.get().reason == code


@pytest.mark.parametrize("payload", [
    {"direction": "in"},
    {"code": "x", "phone": "0912000001", "direction": "in"},
    {"code": "x", "direction": "sideways"},
    {"code": "x", "direction": "in", "nonce": "a" * 65},
    {"code": "x", "direction": "in", "scanned_at": "yesterday"},
    {"phone": "0912000001", "full_name": "A\x00B", "direction": "in"},
])
def test_malformed_bodies_are_422_invalid(venue, hoa, payload):
    response = hoa.post(scans_url(venue), payload)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("when", [
    lambda now: now + timedelta(minutes=10),
    lambda now: now - timedelta(hours=73),
])
def test_scan_times_in_the_future_or_too_old_are_refused(venue, hoa, lan_code, when):
    response = hoa.post(scans_url(venue), {"code": lan_code, "direction": "in",
                                           "scanned_at": when(timezone.now()).isoformat()})
    assert (response.status_code, response.json()["error"]["code"]) == (422,
                                                                       "scan_time_invalid")
    assert Scan.objects.get().reason == "scan_time_invalid"


def test_a_late_scan_within_the_limit_keeps_its_own_time(venue, hoa, lan_code):
    response = hoa.post(scans_url(venue), {"code": lan_code, "direction": "in",
                                           "scanned_at": at(60 * 24)})
    assert response.status_code == 201
    scan = Scan.objects.get()
    assert scan.received_at - scan.scanned_at > timedelta(hours=23)


def test_a_body_over_the_limit_is_413(venue, hoa, settings):
    settings.MAX_BODY_BYTES = 1000
    response = hoa.post(scans_url(venue), {"code": "x" * 5000, "direction": "in"})
    assert response.status_code == 413


def test_the_openapi_document_describes_the_scan_endpoints(anon):
    paths = anon.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/venues/{venue_id}/scans", "/api/v1/venues/{venue_id}/scans/batch",
                 "/api/v1/venues/{venue_id}/live", "/api/v1/checkins", "/api/v1/me/checkins"):
        assert path in paths


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_a_reader_past_its_rate_is_told_to_wait_and_other_readers_are_not(
        venue, reader, lan_person, settings, backend):
    """A runaway reader (or a stolen token) is stopped per device, whatever cache is shared
    (Redis counts in one round trip of its own)."""
    from django.core.cache import cache

    from kiemdich.venues.devices import create_device

    if backend == "redis":
        settings.CACHES = shared_redis_cache()
        cache.clear()
    settings.SCAN_RATE_PER_MINUTE = 3
    other = create_device(venue, "Cổng phụ")[1]
    device = ApiClient()
    # Inside one minute's window, whenever the test runs.
    clock = time_machine.travel(timezone.now().replace(second=5), tick=False)
    clock.start()
    code = issue_app_code(lan_person.public_id, timezone.now())[0]

    def scan(token: str, n: int):
        return device.post(scans_url(venue), {"code": code, "direction": "in",
                                              "nonce": f"{token[-6:]}-{n}"},
                           HTTP_AUTHORIZATION=f"Device {token}")

    answers = [scan(reader, n).status_code for n in range(4)]
    refused = scan(reader, 4)
    assert answers[:3] == [201, 201, 201] and answers[3] == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Scan.objects.count() == 3  # the refused ones were not acknowledged, nor stored
    assert scan(other, 0).status_code == 201
    clock.stop()
    cache.clear()


@pytest.mark.postgres_only
def test_a_scan_reaching_a_server_that_is_no_longer_the_leader_answers_503(venue, hoa, lan_code):
    """During a failover the write address can lead, for a moment, to a read-only server: the
    scan is not stored, and the reader is told to send it again (503 with Retry-After), not
    given a 500."""
    with connection.cursor() as cursor:
        # What the demoted leader, or a standby not yet promoted, does with every write.
        cursor.execute("SET TRANSACTION READ ONLY")
    response = hoa.post(scans_url(venue), {"code": lan_code, "direction": "in",
                                           "nonce": "failover-1"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response["Retry-After"].isdigit()


def test_a_refused_scans_reason_is_a_catalogue_code_stored_in_full(venue, hoa):
    from kiemdich.core.error_codes import CATALOGUE

    field = Scan._meta.get_field("reason")
    reasons = {code for code, _label in field.choices}
    assert reasons == {code for code, entry in CATALOGUE.items() if entry.scan}
    assert max(len(code) for code in CATALOGUE) <= field.max_length
    for payload in ({"code": "hello world", "direction": "in"},
                    {"phone": "12345", "direction": "in"},
                    {"id_number": "12", "direction": "in"}):
        code = hoa.post(scans_url(venue), payload).json()["error"]["code"]
        assert Scan.objects.filter(reason=code).count() == 1 and code in reasons
