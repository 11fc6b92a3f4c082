"""The portal pages: the owner's registration, poster, staff and reader pages, the staff's
home, the officers' directory and the special status form."""

from __future__ import annotations

from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import account_for_phone
from kiemdich.scans.models import Scan
from kiemdich.venues.models import Device, Venue, VenueStaff
from tests.conftest import task_file
from tests.venues.conftest import place

pytestmark = pytest.mark.django_db


def browser(phone: str) -> Client:
    client = Client()
    client.force_login(account_for_phone(phone))
    return client


@pytest.fixture
def owner(areas) -> Client:
    return browser("0912000002")


def form_data(**overrides) -> dict:
    data = {**place(), "province": "75", "default_stay_minutes": "", "latitude": "",
            "longitude": ""}
    data.update(overrides)
    return data


def test_an_owner_registers_a_place_through_the_form(owner):
    page = owner.get("/venues/new/")
    assert page.status_code == 200
    assert 'value="25741"' in page.content.decode()  # communes of the first province
    response = owner.post("/venues/new/", form_data())
    venue = Venue.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/venues/{venue.pk}/"
    assert venue.default_stay_minutes == 60 and venue.sector == "trade"
    detail = owner.get(response["Location"]).content.decode()
    assert venue.code in detail and "Tải áp phích A4" in detail


def test_the_form_names_what_is_wrong(owner):
    response = owner.post("/venues/new/", form_data(street=""))
    assert response.status_code == 400
    assert "Vui lòng nhập" in response.content.decode()
    owner.post("/venues/new/", form_data())
    duplicate = owner.post("/venues/new/", form_data(name="CHỢ TÂN PHONG"))
    assert duplicate.status_code == 400
    assert "đã được đăng ký" in duplicate.content.decode()
    assert Venue.objects.count() == 1


def test_the_commune_list_follows_the_province(owner):
    options = owner.get("/venues/communes/", {"province": "74"}).content.decode()
    assert 'value="25741"' in options and "25996" not in options
    assert owner.get("/venues/communes/", {"province": "nope"}).status_code == 200


def test_an_owner_edits_closes_and_rotates(owner):
    owner.post("/venues/new/", form_data())
    venue = Venue.objects.get()
    edit = owner.get(f"/venues/{venue.pk}/edit/")
    assert edit.status_code == 200 and "Chợ Tân Phong" in edit.content.decode()
    owner.post(f"/venues/{venue.pk}/edit/", form_data(name="Chợ Tân Phong 2"))
    venue.refresh_from_db()
    assert venue.name == "Chợ Tân Phong 2"
    old = venue.code
    owner.post(f"/venues/{venue.pk}/rotate/")
    venue.refresh_from_db()
    assert venue.code != old
    owner.post(f"/venues/{venue.pk}/status/", {"status": "closed"})
    venue.refresh_from_db()
    assert venue.status == "closed"


def test_posters_download_from_the_pages(owner):
    owner.post("/venues/new/", form_data())
    owner.post("/venues/new/", form_data(name="Quán cơm", venue_type="restaurant"))
    venue = Venue.objects.first()
    pdf = owner.get(f"/venues/{venue.pk}/poster.pdf", {"size": "A6"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    png = owner.get(f"/venues/{venue.pk}/poster.png")
    assert png.content.startswith(b"\x89PNG")
    # The batch is a long task: the page's button starts it, its page offers the PDF.
    batch = task_file(owner, owner.post("/venues/posters.pdf", {"size": "A4"}))
    assert len(pdfium.PdfDocument(batch)) == 2
    # A size not offered is a bad request (the pages' handler: 400), not a missing poster.
    assert owner.get(f"/venues/{venue.pk}/poster.pdf", {"size": "B5"}).status_code == 400
    assert owner.post("/venues/posters.pdf", {"size": "B5"}).status_code == 400
    assert owner.get(f"/venues/{venue.pk + 1000}/poster.pdf").status_code == 404


def test_a_batch_of_posters_without_an_active_place_is_not_found(areas):
    nobody = browser("0912000099")
    assert nobody.post("/venues/posters.pdf", {"size": "A4"}).status_code == 404


def test_staff_are_added_and_removed_on_the_page(owner, outbox):
    owner.post("/venues/new/", form_data())
    venue = Venue.objects.get()
    response = owner.post(f"/venues/{venue.pk}/staff/", {"phone": "0912 000 004"})
    assert response.status_code == 302
    assert VenueStaff.objects.get().phone == "+84912000004"
    assert outbox.messages()[-1]["phone"] == "+84912000004"
    bad = owner.post(f"/venues/{venue.pk}/staff/", {"phone": "123"})
    assert bad.status_code == 400 and "không hợp lệ" in bad.content.decode()
    owner.post(f"/venues/{venue.pk}/staff/remove/", {"phone": "+84912000004"})
    assert not VenueStaff.objects.exists()
    again = owner.post(f"/venues/{venue.pk}/staff/remove/", {"phone": "+84912000004"},
                       follow=True)
    assert again.redirect_chain == [(f"/venues/{venue.pk}/", 302)]
    assert "Số điện thoại này không phải nhân viên của địa điểm." in again.content.decode()


def test_a_reader_token_is_shown_once_on_the_page(owner):
    owner.post("/venues/new/", form_data())
    venue = Venue.objects.get()
    response = owner.post(f"/venues/{venue.pk}/devices/", {"name": "Cổng chính"})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="device-token"' in page
    assert response["Cache-Control"] == "no-store"
    again = owner.get(f"/venues/{venue.pk}/").content.decode()
    assert 'id="device-token"' not in again and "Cổng chính" in again
    device = Device.objects.get()
    owner.post(f"/venues/{venue.pk}/devices/{device.pk}/revoke/")
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_staff_see_their_scanning_screen_and_nothing_else_of_the_venue(owner):
    owner.post("/venues/new/", form_data())
    venue = Venue.objects.get()
    owner.post(f"/venues/{venue.pk}/staff/", {"phone": "0912000004"})
    staff = browser("0912000004")
    home = staff.get("/").content.decode()
    assert f'href="/scan/{venue.pk}/"' in home and "Chợ Tân Phong" in home
    for url in (f"/venues/{venue.pk}/", f"/venues/{venue.pk}/edit/",
                f"/venues/{venue.pk}/poster.pdf", f"/venues/{venue.pk}/poster.png"):
        assert staff.get(url).status_code == 404, url
    for url in (f"/venues/{venue.pk}/rotate/", f"/venues/{venue.pk}/staff/",
                f"/venues/{venue.pk}/devices/", f"/venues/{venue.pk}/status/"):
        assert staff.post(url, {"phone": "0912000005", "name": "x",
                                "status": "closed"}).status_code == 404, url
    venue.refresh_from_db()
    assert venue.status == "active" and venue.staff.count() == 1
    assert staff.get("/venues/directory/").status_code == 404


def test_another_owner_gets_404(owner):
    owner.post("/venues/new/", form_data())
    venue = Venue.objects.get()
    other = browser("0912000003")
    assert other.get(f"/venues/{venue.pk}/").status_code == 404
    assert other.post(f"/venues/{venue.pk}/rotate/").status_code == 404


def test_pages_need_a_login(areas):
    response = Client().get("/venues/new/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_owners_home_shows_places_with_todays_figures(owner):
    owner.post("/venues/new/", form_data())
    owner.post("/venues/new/", form_data(name="Quán cơm", venue_type="restaurant"))
    market, restaurant = Venue.objects.order_by("pk")
    now = timezone.now()

    def scan(venue, direction, at=now, accepted=True):
        Scan.objects.create(venue=venue, direction=direction, method="staff", accepted=accepted,
                            scanned_at=at, received_at=at)

    scan(market, "in")
    scan(market, "in")
    scan(market, "out")
    scan(market, "in", accepted=False)  # refused scans are not visitors
    scan(market, "in", at=now - timedelta(days=2))  # not today
    scan(restaurant, "out")
    home = owner.get("/").content.decode()
    section = home[home.index('id="venue-home"'):]
    market_row = section[section.index(f'data-venue="{market.pk}"'):]
    assert "<span data-in>3</span>" not in market_row
    assert market_row.index("<span data-in>2</span>") < market_row.index("</li>")
    assert "<span data-out>1</span>" in market_row[:market_row.index("</li>")]
    rest_row = section[section.index(f'data-venue="{restaurant.pk}"'):]
    assert "<span data-in>0</span>" in rest_row[:rest_row.index("</li>")]
    # The figures cost one query whatever the number of places.
    with CaptureQueriesContext(connection) as two_places:
        owner.get("/")
    for n in range(8):
        owner.post("/venues/new/", form_data(name=f"Cửa hàng {n}", venue_type="shop"))
    with CaptureQueriesContext(connection) as ten_places:
        owner.get("/")
    assert len(ten_places) == len(two_places)
    assert sum("scans_scan" in q["sql"] for q in ten_places.captured_queries) == 1


@pytest.fixture
def officer(areas, make_officer):
    make_officer("0913000001", Role.HEALTH_OFFICER, areas["75"])
    return browser("0913000001")


def test_the_officers_directory_filters_exports_and_grants_special_status(owner, officer):
    owner.post("/venues/new/", form_data())
    owner.post("/venues/new/", form_data(name="=cmd|' /C calc'!A0", venue_type="hospital",
                                         street="1 Quốc lộ 51"))
    page = officer.get("/venues/directory/", {"sector": "health"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "cmd|" in html and "Chợ Tân Phong" not in html
    # The exports are long tasks: the page's buttons start one, its page offers the file.
    export = task_file(officer, officer.post("/venues/directory/", {"format": "csv"}))
    assert "'=cmd|" in export.decode("utf-8-sig")
    xlsx = task_file(officer, officer.post("/venues/directory/?q=cmd", {"format": "xlsx"}))
    assert xlsx.startswith(b"PK")
    hospital = Venue.objects.get(venue_type="hospital")
    detail = officer.get(f"/venues/directory/{hospital.pk}/")
    assert detail.status_code == 200 and 'name="reason"' in detail.content.decode()
    refused = officer.post(f"/venues/directory/{hospital.pk}/", {"special": "on", "reason": ""})
    assert refused.status_code == 400
    officer.post(f"/venues/directory/{hospital.pk}/", {"special": "on",
                                                       "reason": "Tiếp nhận bệnh nhân"})
    hospital.refresh_from_db()
    assert hospital.is_special and hospital.special_reason == "Tiếp nhận bệnh nhân"


def test_the_directory_stays_within_the_officers_area(owner, areas, make_officer):
    owner.post("/venues/new/", form_data())
    venue = Venue.objects.get()
    make_officer("0913000002", Role.OFFICER, areas["74"])
    elsewhere = browser("0913000002")
    assert "Chợ Tân Phong" not in elsewhere.get("/venues/directory/").content.decode()
    assert elsewhere.get(f"/venues/directory/{venue.pk}/").status_code == 404
    bad = elsewhere.get("/venues/directory/", {"sector": "nope"})
    assert bad.status_code == 200 and "không hợp lệ" in bad.content.decode()
