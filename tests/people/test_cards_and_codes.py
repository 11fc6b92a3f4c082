"""Personal codes from the API and pages: the in-app code, printed cards, revocation."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from kiemdich.people.codes import CodeRevoked, default_keyring
from kiemdich.people.models import Credential, Person
from kiemdich.people.services import check_card_serial
from kiemdich.privacy.models import AuditEntry
from tests.people.support import add_child, ready

pytestmark = pytest.mark.django_db


def scan(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image,
                                                   formats=zxingcpp.BarcodeFormat.QRCode)]


def test_the_in_app_code_is_signed_opaque_and_expires_within_36_hours(lan, areas):
    me = ready(lan, name="Trần Thị Lan")
    body = lan.get(f"/api/v1/people/{me}/qr").json()
    claims = default_keyring().verify(body["payload"])
    assert claims.subject == Person.objects.get(pk=me).public_id and claims.kind == "app"
    assert "Lan" not in body["payload"] and "84912" not in body["payload"]
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(hours=12) <= expires - datetime.now(UTC) <= timedelta(hours=36)


def test_the_qr_png_decodes_to_the_payload(lan, areas):
    me = ready(lan)
    response = lan.get(f"/api/v1/people/{me}/qr.png")
    assert response["Content-Type"] == "image/png"
    (text,) = scan(Image.open(io.BytesIO(response.content)))
    assert default_keyring().verify(text).subject == Person.objects.get(pk=me).public_id


def test_the_card_pdf_issues_a_credential_whose_code_decodes(lan, areas):
    ready(lan)
    child = add_child(lan)
    response = lan.get(f"/api/v1/people/{child['id']}/card.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    credential = Credential.objects.get(person_id=child["id"])
    document = pdfium.PdfDocument(response.content)
    assert len(document) == 1
    text = " ".join(document[0].get_textpage().get_text_range().split())
    assert "Nguyễn Minh An" in text
    (payload,) = scan(document[0].render(scale=300 / 72).to_pil())
    claims = default_keyring().verify(payload)
    assert (claims.kind, claims.subject, claims.serial) == ("card", credential.person.public_id,
                                                            credential.serial)
    assert claims.expires_at == credential.expires_at
    assert (credential.expires_at - datetime.now(UTC)).days > 170
    # A second card gets another serial; both stay valid until revoked.
    lan.get(f"/api/v1/people/{child['id']}/card.pdf")
    assert Credential.objects.filter(person_id=child["id"]).values("serial").distinct() \
        .count() == 2


def test_a_lost_card_is_revoked_and_listed_for_readers(lan, minh, areas, admin_client):
    ready(lan)
    child = add_child(lan)
    lan.get(f"/api/v1/people/{child['id']}/card.pdf")
    lan.get(f"/api/v1/people/{child['id']}/card.pdf")
    lost, kept = Credential.objects.order_by("pk")
    assert minh.post(f"/api/v1/people/{child['id']}/cards/{lost.serial}/revoke").status_code \
        == 404
    assert lan.post(f"/api/v1/people/{child['id']}/cards/12345/revoke").status_code == 404
    response = lan.post(f"/api/v1/people/{child['id']}/cards/{lost.serial}/revoke",
                        {"reason": "mất ví"})
    assert response.status_code == 200 and response.json()["revoked_at"]

    listing = minh.get("/api/v1/qr/revocations").json()
    assert [r["serial"] for r in listing["revoked"]] == [lost.serial]
    assert listing["keys"] == [{"kid": k, "alg": "Ed25519", "public_key": v}
                               for k, v in default_keyring().public_keys().items()]
    cards = lan.get(f"/api/v1/people/{child['id']}/cards").json()
    assert {c["serial"]: bool(c["revoked_at"]) for c in cards} == {lost.serial: True,
                                                                   kept.serial: False}
    assert AuditEntry.objects.filter(action="card_revoked").count() == 1


def test_the_revocation_list_needs_a_device_or_a_token(anon, lan):
    assert anon.get("/api/v1/qr/revocations").status_code == 401
    assert anon.get("/api/v1/qr/revocations",
                    HTTP_AUTHORIZATION="Device kdd_nonsense").status_code == 401
    assert lan.get("/api/v1/qr/revocations").status_code == 200


def test_check_card_serial_refuses_revoked_and_unknown_cards(lan, areas):
    from kiemdich.people.codes import Claims

    ready(lan)
    child = add_child(lan)
    lan.get(f"/api/v1/people/{child['id']}/card.pdf")
    credential = Credential.objects.get()
    now = datetime.now(UTC)

    public_id = Person.objects.get(pk=child["id"]).public_id

    def claims(kind, serial, subject=public_id):
        return Claims(kind, subject, serial, now, now + timedelta(days=1))

    check_card_serial(claims("card", credential.serial))
    check_card_serial(claims("app", 0))
    with pytest.raises(CodeRevoked):
        check_card_serial(claims("card", credential.serial + 1))
    with pytest.raises(CodeRevoked):
        check_card_serial(claims("card", credential.serial, subject=public_id + 1))
    lan.post(f"/api/v1/people/{child['id']}/cards/{credential.serial}/revoke")
    with pytest.raises(CodeRevoked) as error:
        check_card_serial(claims("card", credential.serial))
    assert error.value.code == "code_revoked"
