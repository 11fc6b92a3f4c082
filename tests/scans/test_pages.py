"""The pages: self check-in from the poster, the kiosk, the live page, visits and history;
and POST /api/v1/checkins, GET /api/v1/me/checkins."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.test import Client
from django.utils import timezone

from kiemdich.people.models import Person
from kiemdich.scans.models import Method, Scan, Visit
from kiemdich.venues.services import rotate_code
from tests.conftest import page_export
from tests.scans.conftest import scans_url

pytestmark = pytest.mark.django_db


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def child(lan) -> Person:
    return Person.objects.create(account=lan.user, full_name="Trần Minh Khôi",
                                 relationship="con")


def test_the_poster_page_says_where_and_what_before_asking_to_log_in(venue):
    response = browser().get(f"/v/{venue.code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Quán Phở Hòa" in html and "1 Lê Lợi, " in html
    assert "Ghi nhận vào/ra là gì?" in html
    login = re.search(r'id="checkin-login" href="([^"]+)"', html).group(1)
    assert login.startswith("/accounts/login/?next=")
    assert unquote(login.split("next=")[1]) == f"/v/{venue.code}"
    # A check-in itself still needs the login (and comes back here after it).
    posted = browser().post(f"/v/{venue.code}", {"person": [1], "direction": "in"})
    assert posted.status_code == 302 and posted["Location"].startswith("/accounts/login/")
    assert not Scan.objects.exists()


def test_an_unknown_poster_code_says_so_before_any_login(venue):
    response = browser().get("/v/ZZZZZZZZZZZZZ")
    assert response.status_code == 404 and "Không có địa điểm" in response.content.decode()


@pytest.mark.parametrize("typed", ["{dashed}", "{dashed_lower}", " {spaced} ", "{plain_lower}"])
def test_the_posters_manual_code_typed_leads_to_the_check_in(venue, typed):
    from kiemdich.documents.posters import format_short_code

    dashed = format_short_code(venue.code)
    text = typed.format(dashed=dashed, dashed_lower=dashed.lower(),
                        spaced=dashed.replace("-", " "), plain_lower=venue.code.lower())
    response = browser().get("/v/", {"code": text})
    assert response.status_code == 302 and response["Location"] == f"/v/{venue.code}"


@pytest.mark.parametrize("typed,status,message", [
    ("K7QM", 422, "gồm 13 chữ và số"),
    ("<script>alert(1)</script>", 422, "gồm 13 chữ và số"),
    ("ZZZZ-ZZZZ-ZZZZ-Z", 404, "Không có địa điểm với mã này"),
])
def test_a_code_that_is_none_is_refused_with_a_message(venue, typed, status, message):
    response = browser().get("/v/", {"code": typed})
    assert response.status_code == status
    html = response.content.decode()
    assert message in html and "<script>alert(1)" not in html


def test_the_code_entry_page_opens_empty(db):
    response = browser().get("/v/")
    assert response.status_code == 200 and 'id="venue-code-input"' in response.content.decode()


def test_a_visitor_checks_in_self_and_child_with_one_tap(venue, lan, lan_person, child):
    from tests.scans.test_scan_api import declare

    declare(lan_person, sick=True)
    client = browser(lan.user)
    page = client.get(f"/v/{venue.code}")
    assert page.status_code == 200
    assert "Quán Phở Hòa" in page.content.decode() and "Trần Minh Khôi" in page.content.decode()
    done = client.post(f"/v/{venue.code}", {"person": [lan_person.pk, child.pk],
                                            "direction": "in"})
    assert done.status_code == 201
    html = done.content.decode()
    assert "Quán Phở Hòa" in html and 'class="tick"' in html and "day-colour-" in html
    assert timezone.localtime().strftime("%d/%m/%Y") in html
    # Each person's declaration of today, in its colour: Lan declared symptoms, Khôi nothing.
    assert html.count('data-declaration="symptoms"') == 1
    assert html.count('data-declaration="not_declared"') == 1
    assert f'href="/declare/{child.pk}/"' in html and f'href="/declare/{lan_person.pk}/"' \
        not in html
    scans = Scan.objects.filter(venue=venue)
    assert {s.person_id for s in scans} == {lan_person.pk, child.pk}
    assert {s.method for s in scans} == {Method.SELF}
    assert Visit.objects.filter(venue=venue, left_at__isnull=True).count() == 2
    out = client.post(f"/v/{venue.code}", {"person": [lan_person.pk], "direction": "out"})
    assert out.status_code == 201
    assert Visit.objects.get(person=lan_person).left_at is not None


def test_a_visitor_cannot_check_in_someone_else(venue, lan, binh):
    stranger = Person.objects.get(account=binh.user)
    response = browser(lan.user).post(f"/v/{venue.code}", {"person": [stranger.pk],
                                                           "direction": "in"})
    assert response.status_code == 400
    assert not Scan.objects.exists()


def test_an_unknown_or_rotated_poster_code_says_so(venue, minh, lan):
    client = browser(lan.user)
    unknown = client.get("/v/ZZZZZZZZZZZZZ")
    assert unknown.status_code == 404
    assert "Không có địa điểm" in unknown.content.decode()
    old = venue.code
    rotate_code(venue, minh.user)
    rotated = client.get(f"/v/{old}")
    assert rotated.status_code == 410
    assert "đã được thay" in rotated.content.decode()


def test_the_colour_of_the_day_is_the_same_all_day_and_changes_between_days():
    from datetime import date, timedelta

    from kiemdich.scans.services import colour_of_day

    days = [date(2021, 10, 1) + timedelta(days=n) for n in range(30)]
    colours = [colour_of_day(d) for d in days]
    assert colours == [colour_of_day(d) for d in days]
    assert len(set(colours)) > 5 and all(0 <= c < 12 for c in colours)


def test_checkins_api_for_a_family(venue, lan, lan_person, child, anon):
    response = lan.post("/api/v1/checkins", {"venue_code": venue.code,
                                             "person_ids": [lan_person.pk, child.pk],
                                             "direction": "in"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["venue"] == {"id": venue.pk, "name": "Quán Phở Hòa"}
    assert {s["person_id"]: s["declaration"] for s in body["scans"]} == {
        lan_person.pk: "not_declared", child.pk: "not_declared"}
    assert lan.post("/api/v1/checkins", {"venue_code": "nope", "person_ids": [lan_person.pk],
                                         "direction": "in"}).status_code == 404
    assert anon.post("/api/v1/checkins", {"venue_code": venue.code,
                                          "person_ids": [lan_person.pk],
                                          "direction": "in"}).status_code == 401
    mine = lan.get("/api/v1/me/checkins").json()
    assert len(mine) == 2 and mine[0]["venue_name"] == "Quán Phở Hòa"


def test_the_history_page_lists_only_my_checkins(venue, lan, binh, lan_person):
    lan.post("/api/v1/checkins", {"venue_code": venue.code, "person_ids": [lan_person.pk],
                                  "direction": "in"})
    assert "Quán Phở Hòa" in browser(lan.user).get("/scan/history/").content.decode()
    assert "Quán Phở Hòa" not in browser(binh.user).get("/scan/history/").content.decode()


def test_the_kiosk_is_for_the_venues_staff_only(venue, minh, hoa, binh):
    for user in (minh.user, hoa.user):
        page = browser(user).get(f"/scan/{venue.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="scan-input"' in html and "scans/kiosk.js" in html and "<script>" not in html
    assert browser(binh.user).get(f"/scan/{venue.pk}/").status_code == 404
    assert browser().get(f"/scan/{venue.pk}/").status_code == 302


def test_the_kiosk_posts_with_the_session_and_csrf(venue, hoa, lan_code):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hoa.user)
    page = client.get(f"/scan/{venue.pk}/")
    token = page.cookies["csrftoken"].value
    refused = client.post(scans_url(venue), {"code": lan_code, "direction": "in"},
                          content_type="application/json")
    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["code"] == "csrf_failed"
    response = client.post(scans_url(venue), {"code": lan_code, "direction": "in"},
                           content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content


def test_the_live_page_shows_who_is_inside_masked(venue, minh, hoa, lan_person, lan_code):
    hoa.post(scans_url(venue), {"code": lan_code, "direction": "in"})
    html = browser(minh.user).get(f"/scan/{venue.pk}/live/").content.decode()
    assert "Nguyễn T** L**" in html and "Nguyễn Thị Lan" not in html
    assert f'data-stream-url="/api/v1/venues/{venue.pk}/live"' in html


def test_the_owner_sees_visits_by_day_masked_and_exports_them(venue, minh, hoa, lan_person,
                                                            lan_code):
    hoa.post(scans_url(venue), {"code": lan_code, "direction": "in"})
    client = browser(minh.user)
    html = client.get(f"/scan/{venue.pk}/visits/").content.decode()
    assert "Nguyễn T** L**" in html and "091****001" in html
    export = page_export(client, f"/scan/{venue.pk}/visits/", {}, "csv")
    assert export["Content-Type"].startswith("text/csv")
    text = export.content.decode("utf-8-sig")
    assert "Nguyễn T** L**" in text and "Nguyễn Thị Lan" not in text
    xlsx = page_export(client, f"/scan/{venue.pk}/visits/", {}, "xlsx")
    assert xlsx.content[:2] == b"PK"
    # Staff scan but do not browse the visit history; other owners get 404.
    assert browser(hoa.user).get(f"/scan/{venue.pk}/visits/").status_code == 404
    assert minh.get(f"/api/v1/venues/{venue.pk}/visits").json()[0]["person"]["masked"] is True


def test_a_photo_of_a_code_is_decoded_on_the_server(venue, hoa, lan_code):
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(lan_code, error="m").save(buffer, kind="png", scale=6, border=4)
    buffer.name = "code.png"
    buffer.seek(0)
    # A multipart upload: the plain test client's post, with the bearer token.
    response = Client.post(hoa, f"/api/v1/venues/{venue.pk}/scans/decode-photo",
                           {"photo": buffer}, HTTP_AUTHORIZATION=f"Bearer {hoa.token}")
    assert response.status_code == 200, response.content
    assert response.json()["text"] == lan_code
    blank = io.BytesIO(b"not an image")
    blank.name = "x.png"
    refused = Client.post(hoa, f"/api/v1/venues/{venue.pk}/scans/decode-photo",
                          {"photo": blank}, HTTP_AUTHORIZATION=f"Bearer {hoa.token}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "code_unreadable")


def test_the_kiosk_service_worker_is_served_for_the_scan_pages(anon):
    response = anon.get("/scan/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/scan/"
