"""Own data: everything held about an account's people, and nothing about anybody else."""

from __future__ import annotations

import json

import pypdfium2 as pdfium
import pytest

from kiemdich.privacy.models import AuditEntry
from tests.people.support import add_child, answers, ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_families(lan, minh, areas, make_officer):
    me = ready(lan, name="Trần Thị Lan")
    child = add_child(lan, id_number="079215012345")
    lan.post(f"/api/v1/people/{me}/declarations", answers())
    lan.post(f"/api/v1/people/{child['id']}/declarations", answers(fever=True))
    lan.get(f"/api/v1/people/{child['id']}/card.pdf")
    officer = make_officer("0913000001", "health_officer", areas["75"])
    alert = officer.get("/api/v1/alerts").json()[0]
    officer.post(f"/api/v1/alerts/{alert['id']}/actions", {"status": "called", "note": "ok"})

    other = ready(minh, name="Lê Văn Minh")
    minh_child = add_child(minh, name="Lê Thị Bé", id_number="001099888777")
    minh.post(f"/api/v1/people/{other}/declarations", answers(cough=True))
    minh.post(f"/api/v1/people/{minh_child['id']}/declarations", answers())
    minh.get(f"/api/v1/people/{minh_child['id']}/card.pdf")
    return {"me": me, "child": child["id"], "minh": other, "minh_child": minh_child["id"]}


def test_the_json_export_is_complete(lan, two_families):
    response = lan.get("/api/v1/me/export")
    assert response.status_code == 200
    data = response.json()
    assert data["account"]["phone"] == "+84912000001"
    assert [c["version"] for c in data["consents"]] == ["2021-10"]
    me, child = data["people"]
    assert (me["id"], child["id"]) == (two_families["me"], two_families["child"])
    assert me["full_name"] == "Trần Thị Lan" and child["id_number"] == "079215012345"
    assert len(me["declarations"]) == 1 and me["declarations"][0]["has_symptoms"] is False
    assert child["declarations"][0]["fever"] is True
    assert [a["status"] for a in child["alerts"]] == ["called"]
    assert [a["status"] for a in child["alerts"][0]["actions"]] == ["called"]
    assert len(child["credentials"]) == 1
    assert "view_full_person" in [e["action"] for e in child["access_log"]]
    assert me["visits"] == [] and me["scans"] == []


def test_the_export_holds_only_that_accounts_data(lan, two_families):
    text = lan.get("/api/v1/me/export").content.decode()
    for foreign in ("Lê Văn Minh", "Lê Thị Bé", "001099888777", "+84912000002"):
        assert foreign not in text
    ids = {p["id"] for p in json.loads(text)["people"]}
    assert ids == {two_families["me"], two_families["child"]}


def test_the_export_is_audited(lan, two_families):
    lan.get("/api/v1/me/export")
    assert AuditEntry.objects.filter(action="export_own_data", actor=lan.user).count() == 1


def test_the_pdf_export_shows_the_same_people(lan, two_families):
    response = lan.get("/api/v1/me/export.pdf")
    assert response["Content-Type"] == "application/pdf"
    document = pdfium.PdfDocument(response.content)
    text = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)
    assert "Trần Thị Lan" in text and "Nguyễn Minh An" in text and "079215012345" in text
    assert "Lê Văn Minh" not in text


def test_the_pages_offer_both_downloads(lan, client, two_families):
    client.force_login(lan.user)
    page = client.get("/people/my-data/").content.decode()
    assert "/people/my-data.json" in page and "/people/my-data.pdf" in page
    data = json.loads(client.get("/people/my-data.json").content)
    assert {p["id"] for p in data["people"]} == {two_families["me"], two_families["child"]}
    assert client.get("/people/my-data.pdf")["Content-Type"] == "application/pdf"


def test_the_pdf_export_reads_as_words_not_codes(lan, minh, two_families):
    from kiemdich.venues.services import register_venue

    venue = register_venue(minh.user, {"name": "Quán Phở Hòa", "venue_type": "restaurant",
                                       "area_code": "25993", "street": "1 Lê Lợi"})
    checkin = lan.post("/api/v1/checkins", {"venue_code": venue.code,
                                            "person_ids": [two_families["child"]],
                                            "direction": "in"})
    assert checkin.status_code == 201, checkin.content
    data = lan.get("/api/v1/me/export").json()
    assert data["people"][1]["visits"][0]["venue_name"] == "Quán Phở Hòa"

    document = pdfium.PdfDocument(lan.get("/api/v1/me/export.pdf").content)
    text = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)
    assert "Quán Phở Hòa" in text
    assert " Nam " in f" {text} " and "male" not in text  # the child's sex, as a word
    assert "Đã gọi" in text and "called" not in text  # the alert's status
