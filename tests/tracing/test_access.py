"""Who may trace, what is logged, what bad input answers, and the pages and exports."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from kiemdich.accounts.models import Role
from kiemdich.privacy.models import AuditEntry
from tests.conftest import case_report
from tests.tracing.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_id(world, mai):
    f0 = world.person("F0 Truy Vết", phone="+84912600000", commune="25993")
    cafe = world.venue("Quán Cơm Tấm", lat=10.95, lng=106.82)
    contact = world.person("Người Tiếp Xúc", phone="+84912600001")
    world.visit(f0, cafe, at(10, 10), at(10, 11))
    world.visit(contact, cafe, at(10, 10, 30), at(10, 11, 30))
    response = mai.post("/api/v1/cases", {"person": {"phone": "0912 600 000"},
                                          "confirmed_at": at(15, 12).isoformat()})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def actions(target: str) -> list[str]:
    return list(AuditEntry.objects.filter(target=target).order_by("id")
                .values_list("action", flat=True))


def test_every_access_is_logged(mai, case_id):
    target = f"tracing.case:{case_id}"
    mai.get(f"/api/v1/cases/{case_id}")
    mai.get(f"/api/v1/cases/{case_id}/exposures")
    case_report(mai, case_id, "xlsx")
    case_report(mai, case_id, "pdf")
    assert actions(target) == ["case_registered", "case_view", "tracing_query", "case_export",
                               "case_export"]
    # Each file downloaded is in the trail as well, by its task.
    assert AuditEntry.objects.filter(action="export", target__startswith="task:",
                                     actor_id=mai.user.pk).count() == 2
    # Full personal data of contacts: each view is logged by the masking module (the two
    # exports showed the contact in full, and now the API).
    data = mai.get(f"/api/v1/cases/{case_id}/exposures?include_people=true").json()
    person = data["contacts"][0]["person"]
    assert person["phone"] == "0912600001" and person["masked"] is False
    assert AuditEntry.objects.filter(action="view_full_person",
                                     reason=f"tracing case={case_id}").count() == 3
    # No personal data in the trail.
    assert not AuditEntry.objects.filter(reason__contains="0912600001").exists()


def test_only_health_officers_and_admins_trace(make_officer, lan, areas, case_id,
                                               admin_client, khoa, thu):
    body = {"person": {"phone": "0912600000"}, "confirmed_at": at(15, 12).isoformat()}
    officer = make_officer("0912600090", Role.OFFICER, areas["75"])
    for client in (lan, officer):
        assert client.post("/api/v1/cases", body).status_code == 403
        assert client.get("/api/v1/cases").status_code == 403
        assert client.get(f"/api/v1/cases/{case_id}").status_code == 404
        assert client.get(f"/api/v1/cases/{case_id}/exposures").status_code == 404
        refused = client.post(f"/api/v1/cases/{case_id}/exports", {"format": "pdf"})
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "case_not_found"
    # A health officer of another province neither sees nor lists the case.
    assert khoa.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert khoa.get("/api/v1/cases").json() == []
    # One of the F0's province does (the F0 lives there); the admin sees all.
    assert [c["id"] for c in thu.get("/api/v1/cases").json()] == [case_id]
    assert admin_client.get(f"/api/v1/cases/{case_id}/exposures").status_code == 200
    # One of another province only asks (tests/tracing/test_out_of_area.py).
    asked = khoa.post("/api/v1/cases", body)
    assert asked.status_code == 202 and asked.json()["status"] == "pending"
    assert khoa.get("/api/v1/cases").json() == []


def test_bad_input(mai, case_id):
    def register(person, **extra):
        return mai.post("/api/v1/cases", {"person": person,
                                          "confirmed_at": at(15, 12).isoformat(), **extra})

    # Nobody known: a request like any other outside the officer's area, never "unknown".
    unknown = register({"phone": "0987654321"})
    assert unknown.status_code == 202 and unknown.json()["status"] == "pending"
    assert register({"id_number": "079199999999"}).status_code == 202
    assert register({"phone": "12"}).status_code == 422
    assert register({"id_number": "12"}).json()["error"]["code"] == "id_number_invalid"
    assert register({"qr": "hello"}).json()["error"]["code"] == "code_unreadable"
    assert register({}).json()["error"]["code"] == "person_lookup_invalid"
    backwards = register({"phone": "0912600000"}, window_start=at(15, 0).isoformat(),
                         window_end=at(14, 0).isoformat())
    assert backwards.status_code == 422
    assert backwards.json()["error"]["code"] == "window_invalid"
    touching = register({"phone": "0912600000"}, window_start=at(14, 0).isoformat(),
                        window_end=at(14, 0).isoformat())
    assert touching.json()["error"]["code"] == "window_invalid"
    too_long = mai.patch(f"/api/v1/cases/{case_id}", {"window_start": at(1, 0, month=7)
                                                      .isoformat()})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "window_too_long"
    margin = mai.patch(f"/api/v1/cases/{case_id}", {"margin_minutes": -5}).json()["error"]
    assert (margin["code"], margin["message"]) == \
        ("margin_invalid", "Biên thời gian phải từ 0 đến 720 phút.")
    future = register({"phone": "0912600000"}, confirmed_at="2999-01-01T00:00:00+07:00")
    assert future.json()["error"]["code"] == "confirmed_in_future"
    assert register({"phone": "0912600000"}, confirmed_at="soon").status_code == 422
    assert mai.get("/api/v1/cases/999999/exposures").status_code == 404


def test_window_at_the_maximum_is_accepted(mai, case_id, settings):
    settings.TRACING_MAX_WINDOW_DAYS = 30
    ok = mai.patch(f"/api/v1/cases/{case_id}", {"window_start": at(16, 12, month=7).isoformat()})
    assert ok.status_code == 200, ok.content


def test_closing_a_case(mai, case_id):
    closed = mai.post(f"/api/v1/cases/{case_id}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["closed_at"]
    assert mai.post(f"/api/v1/cases/{case_id}/close").json()["error"]["code"] == "case_closed"
    refused = mai.post(f"/api/v1/cases/{case_id}/notice-batches", {})
    assert refused.status_code == 409
    assert "case_closed" in actions(f"tracing.case:{case_id}")


def test_exports_carry_the_case(mai, case_id):
    import pypdfium2
    from openpyxl import load_workbook

    xlsx = case_report(mai, case_id, "xlsx")
    assert xlsx["Content-Disposition"] == f'attachment; filename="ca-benh-{case_id}.xlsx"'
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.values)
    assert rows[1][2] == "Người Tiếp Xúc" and rows[1][3] == "0912600001" and rows[1][8] == 60
    pdf = case_report(mai, case_id, "pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert "Quán Cơm Tấm" in text and "Người Tiếp Xúc" in text
    refused = mai.post(f"/api/v1/cases/{case_id}/exports", {"format": "doc"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "format_invalid"


def test_zoning_and_map(mai, case_id):
    zones = mai.get(f"/api/v1/cases/{case_id}/zones").json()["communes"]
    assert [(z["area_code"], z["contacts"], len(z["sites"])) for z in zones] == [("25993", 1, 1)]
    svg = mai.get(f"/api/v1/cases/{case_id}/map.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    body = svg.content.decode()
    assert body.startswith("<svg") and "<circle" in body and "Quán Cơm Tấm" in body


def test_pages(mai, lan, case_id):
    officer = mai
    mai = Client()
    mai.force_login(officer.user)
    listing = mai.get("/tracing/")
    assert listing.status_code == 200 and f"/tracing/{case_id}/" in listing.content.decode()
    page = mai.get(f"/tracing/{case_id}/").content.decode()
    for text in ("Quán Cơm Tấm", "Người Tiếp Xúc", "0912600001", "<svg", "Khoanh vùng",
                 f'action="/tracing/{case_id}/export/"', 'value="pdf"', 'value="xlsx"'):
        assert text in page, text
    assert mai.get("/tracing/new/").status_code == 200
    registered = mai.post("/tracing/new/", {
        "lookup": "phone", "value": "0912600000", "confirmed_at": "2021-08-15T12:00",
        "margin_minutes": "60"})
    assert registered.status_code == 302
    unknown = mai.post("/tracing/new/", {
        "lookup": "phone", "value": "0987654321", "confirmed_at": "2021-08-15T12:00",
        "margin_minutes": "60"})
    assert unknown.status_code == 302 and unknown["Location"] == "/tracing/#case-requests"
    citizen = lan
    lan = Client()
    lan.force_login(citizen.user)
    assert lan.get("/tracing/").status_code == 403
    assert lan.get(f"/tracing/{case_id}/").status_code == 404
    assert lan.get("/tracing/new/").status_code == 403


def test_demo_seed_opens_one_case(world, areas):
    from datetime import timedelta

    from django.utils import timezone

    from kiemdich.tracing import demo
    from kiemdich.tracing.models import Case

    out = io.StringIO()
    demo.seed(out)
    assert "no demo visits" in out.getvalue() and not Case.objects.exists()
    cafe = world.venue("Quán demo")
    f0, other = world.person("Demo F0"), world.person("Demo F1")
    start = timezone.now() - timedelta(days=1)
    world.visit(f0, cafe, start, start + timedelta(hours=1))
    world.visit(f0, cafe, start + timedelta(hours=3), start + timedelta(hours=4))
    world.visit(other, cafe, start, start + timedelta(hours=1))
    demo.seed(out)
    demo.seed(out)  # idempotent
    case = Case.objects.get()
    assert case.person == f0 and "2 places and 1 contacts" in out.getvalue()
