"""The inspector's work: finding the venue by name or its poster, recording a violation of a
venue, of an establishment that never registered, of a person who did not declare; the fine
bracket of the article; the printed record (biên bản)."""

from __future__ import annotations

import re

import pypdfium2
import pytest

from kiemdich.accounts.models import Role, User
from kiemdich.privacy.models import AuditEntry
from kiemdich.reports.models import Establishment, Inspection, Organisation, RosterMember
from kiemdich.venues.codes import address_key, place_key
from kiemdich.venues.models import Venue
from tests.conftest import officer

pytestmark = pytest.mark.django_db

CODE = "K7QM2XHP9RTA3"  # a code as the platform makes them (13 of Crockford's letters)


@pytest.fixture
def places(areas):
    owner = User.objects.create_user("0912000911")
    made = {}
    for code, area, name in ((CODE, "25993", "Chợ Trảng Dài"),
                             ("K7QM2XHP9RTA4", "26368", "Chợ Long Thành"),
                             ("K7QM2XHP9RTA5", "25996", "Nhà hàng Tân Phong")):
        made[area] = Venue.objects.create(
            code=code, name=name, venue_type="market", sector="trade", area=areas[area],
            street="1 Đường A", owner=owner,
            place_key=place_key(address_key(areas[area].pk, "1 Đường A"), name),
            default_stay_minutes=60)
    made["school"] = Establishment.objects.create(reg_no="GD-0042", name="Trường Tiểu học B",
                                                  area=areas["25996"], sector="education")
    made["far_school"] = Establishment.objects.create(reg_no="GD-0077", name="Trường C",
                                                      area=areas["26368"], sector="education")
    organisation = Organisation.objects.create(name="Công ty May A", area=areas["25993"],
                                               sector="labour")
    made["worker"] = RosterMember.objects.create(organisation=organisation,
                                                 full_name="Lê Văn Công", phone="+84909990001")
    far = Organisation.objects.create(name="Nhà máy B", area=areas["26368"], sector="labour")
    made["far_worker"] = RosterMember.objects.create(organisation=far, full_name="Phạm Thị D",
                                                     phone="+84909990002")
    return made


@pytest.fixture
def inspector(areas):
    """An inspector of Biên Hòa (731), through the API."""
    return officer("0912000912", Role.INSPECTOR, areas["731"])


@pytest.fixture
def inspector_page(areas, portal):
    return portal("0912000913", Role.INSPECTOR, areas["731"])


def body(**changes) -> dict:
    return {"subject": "venue", "venue_code": CODE, "inspected_at": "2021-10-12T09:30:00+07:00",
            "result": "violation", "violation": "nd117-d12-k2", "fine": 6_000_000, **changes}


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.get_textpage().get_text_range().split())
                    for page in pypdfium2.PdfDocument(content))


# Finding the venue -----------------------------------------------------------------------


@pytest.mark.parametrize("q", ["chợ", "Cho", "k7qm-2xhp-9rta-3",
                               f"https://kiemdich.example.vn/v/{CODE}"])
def test_the_venue_search_finds_by_name_code_or_poster_within_scope(places, inspector, q):
    found = inspector.get("/api/v1/inspections/venues", {"q": q}).json()
    names = {v["name"] for v in found}
    assert "Chợ Long Thành" not in names  # Long Thành (740) is another district's
    assert "Chợ Trảng Dài" in names
    if q.startswith("k7") or "/v/" in q:
        assert [v["code"] for v in found] == [CODE]


def test_a_search_too_short_or_by_a_citizen_finds_nothing(places, inspector, lan):
    assert inspector.get("/api/v1/inspections/venues", {"q": "c"}).json() == []
    assert lan.get("/api/v1/inspections/venues", {"q": "chợ"}).json() == []


def test_the_form_lists_what_the_search_names_as_links_that_fill_it(places, inspector_page):
    page = inspector_page.get("/reports/inspections/new/", {"q": "tân phong"}).content.decode()
    assert "Nhà hàng Tân Phong" in page and "Chợ Long Thành" not in page
    assert f"?venue={places['25996'].code}" in page
    partial = inspector_page.get("/reports/inspections/venues/", {"q": "trảng"})
    assert "Chợ Trảng Dài" in partial.content.decode() and b"<html" not in partial.content
    chosen = inspector_page.get("/reports/inspections/new/", {"venue": CODE}).content.decode()
    assert f'value="{CODE}"' in chosen


def test_the_poster_url_read_by_a_scanner_names_the_venue(places, inspector):
    response = inspector.post("/api/v1/inspections", body(
        venue_code=f"https://kiemdich.example.vn/v/{CODE}", result="compliant", violation="",
        fine=None))
    assert response.status_code == 201, response.content
    assert response.json()["subject_name"] == "Chợ Trảng Dài"


# The plan's violations -------------------------------------------------------------------


def test_a_violation_of_an_establishment_that_never_registered(places, inspector_page):
    form = inspector_page.get("/reports/inspections/new/").content.decode()
    assert "Trường Tiểu học B" in form and "Trường C" not in form  # the registry in scope
    response = inspector_page.post("/reports/inspections/new/", {
        "subject": "establishment", "establishment": "GD-0042",
        "inspected_at": "2021-10-12T09:30", "result": "violation",
        "violation": "nd117-d12-k2", "fine": "20000000"})  # twice the maximum: an organisation
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.subject, inspection.establishment, inspection.venue) == \
        ("establishment", places["school"], None)
    assert inspection.area.code == "25996" and inspection.sector == "education"
    listed = inspector_page.get("/reports/inspections/").content.decode()
    assert "Trường Tiểu học B" in listed and "Cơ sở chưa đăng ký địa điểm" in listed


def test_a_violation_of_a_person_who_did_not_declare(places, inspector):
    response = inspector.post("/api/v1/inspections", body(
        subject="person", venue_code="", roster_member_id=places["worker"].pk,
        violation="nd117-d7-k1", fine=3_000_000))
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["subject_name"] == "Lê Văn Công" and made["area_code"] == "25993"
    # A person's bracket is the decree's own: up to 3,000,000 đ for this article.
    assert (made["fine_min"], made["fine_max"]) == (1_000_000, 3_000_000)
    over = inspector.post("/api/v1/inspections", body(
        subject="person", venue_code="", roster_member_id=places["worker"].pk,
        violation="nd117-d7-k1", fine=3_500_000))
    assert over.status_code == 422 and over.json()["error"]["code"] == "fine_out_of_range"


@pytest.mark.parametrize(("q", "found"), [
    ("văn công", ["Lê V** C***"]),       # part of the name
    ("LÊ VĂN", ["Lê V** C***"]),         # any case
    ("0909 990", ["Lê V** C***"]),       # part of the phone, as written with its 0
    ("990001", ["Lê V** C***"]),
    ("Phạm Thị", []),                    # Long Thành's: outside the inspector's district
    ("990002", []),
    ("l", []),                           # too short to search
    ("không có ai", []),
])
def test_the_inspector_finds_an_undeclared_person_by_name_or_phone_masked(places, inspector,
                                                                         q, found):
    answer = inspector.get("/api/v1/inspections/people", {"q": q})
    assert answer.status_code == 200
    people = answer.json()
    assert [p["name"] for p in people] == found
    for p in people:
        assert p["phone"] == "090****001" and p["masked"] is True
        assert p["id"] == places["worker"].pk and p["organisation"] == "Công ty May A"


def test_the_person_search_finds_a_whole_id_number_and_skips_who_declared(places, inspector,
                                                                          areas):
    from kiemdich.core.protect import id_digest

    organisation = places["worker"].organisation
    RosterMember.objects.create(organisation=organisation, full_name="Trần Thị Hoa",
                                id_number_digest=id_digest("075190001234"))
    found = inspector.get("/api/v1/inspections/people", {"q": "075190001234"}).json()
    assert [p["name"] for p in found] == ["Trần T** H**"]
    # A part of it cannot be matched: rosters keep only the number's digest.
    assert inspector.get("/api/v1/inspections/people", {"q": "07519000"}).json() == []


def test_a_citizen_or_a_venue_owner_finds_no_one(places, lan):
    assert lan.get("/api/v1/inspections/people", {"q": "văn công"}).json() == []


def test_the_form_searches_people_and_a_link_puts_the_person_on_it(places, inspector_page):
    partial = inspector_page.get("/reports/inspections/people/", {"person_q": "công"})
    html = partial.content.decode()
    assert "Lê V** C***" in html and "Lê Văn Công" not in html and b"<html" not in partial.content
    link = f"?subject=person&amp;member={places['worker'].pk}"
    assert link in html
    form = inspector_page.get("/reports/inspections/new/", {
        "subject": "person", "member": places["worker"].pk}).content.decode()
    assert f'data-chosen-person="{places["worker"].pk}"' in form and "Lê V** C***" in form
    assert f'name="roster_member" value="{places["worker"].pk}"' in form
    # Someone else's district on the link: nobody is put on the form.
    other = inspector_page.get("/reports/inspections/new/", {
        "subject": "person", "member": places["far_worker"].pk}).content.decode()
    assert "data-chosen-person=" not in other and "Phạm" not in other
    response = inspector_page.post("/reports/inspections/new/", {
        "subject": "person", "roster_member": places["worker"].pk,
        "inspected_at": "2021-10-12T09:30", "result": "violation",
        "violation": "nd117-d7-k1", "fine": "2000000"})
    assert response.status_code == 302
    assert Inspection.objects.get().roster_member == places["worker"]


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"violation": "nd117-d99-k9"}, 422, "violation_unknown"),
    ({"violation": ""}, 422, "violation_required"),
    ({"venue_code": "K7QM2XHP9RTA4"}, 404, "venue_unknown"),  # another district's
    ({"venue_code": "KHONGCOMANAY"}, 422, "venue_code_invalid"),
    ({"subject": "establishment", "establishment_reg_no": "GD-0077"}, 404,
     "establishment_unknown"),
    ({"subject": "establishment", "establishment_reg_no": ""}, 404, "establishment_unknown"),
    ({"subject": "person", "roster_member_id": 0}, 404, "person_unknown"),
    ({"subject": "alien"}, 422, "subject_invalid"),
    ({"fine": 4_000_000}, 422, "fine_out_of_range"),
    ({"result": "compliant", "violation": "", "fine": 100}, 422, "fine_without_violation"),
])
def test_bad_records_are_refused_with_stable_codes(places, inspector, changes, status, code):
    response = inspector.post("/api/v1/inspections", body(**changes))
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert not Inspection.objects.exists()


def test_a_person_of_another_district_is_not_found(places, inspector):
    response = inspector.post("/api/v1/inspections", body(
        subject="person", roster_member_id=places["far_worker"].pk, violation="nd117-d7-k1",
        fine=1_000_000))
    assert response.status_code == 404 and response.json()["error"]["code"] == "person_unknown"


def test_the_form_shows_each_articles_fine_bracket(places, inspector_page):
    form = inspector_page.get("/reports/inspections/new/").content.decode()
    option = re.search(r'<option value="nd117-d12-k2"[^>]*>([^<]*)</option>', form)
    assert 'data-fine-min="5000000"' in option.group(0)
    assert 'data-fine-max="10000000"' in option.group(0)
    assert "(5.000.000 đ – 10.000.000 đ)" in option.group(1)
    assert 'id="fine-bracket"' in form and "reports/inspection.js" in form


# The record ------------------------------------------------------------------------------


def test_the_record_prints_as_a_pdf_for_those_in_scope(places, inspector, areas, portal):
    made = inspector.post("/api/v1/inspections", body(notes="Không kiểm soát người ra vào"))
    assert made.status_code == 201, made.content
    url = made.json()["record_pdf_url"]
    reader = portal("0912000914", Role.OFFICER, areas["75"])
    response = reader.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    pk = made.json()["id"]
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "ỦY BAN NHÂN DÂN THÀNH PHỐ BIÊN HÒA", f"Số: {pk}/BB-KT",
                     "Đồng Nai, ngày 12 tháng 10 năm 2021", "BIÊN BẢN KIỂM TRA",
                     "Chợ Trảng Dài", CODE, "Điều 12 khoản 2 Nghị định 117/2020/NĐ-CP",
                     "5.000.000 đồng – 20.000.000 đồng", "6.000.000 đồng",
                     "Không kiểm soát người ra vào", "ĐẠI DIỆN CƠ SỞ", "NGƯỜI LẬP BIÊN BẢN",
                     "09:30 ngày 12/10/2021"):
        assert expected in text, expected
    assert AuditEntry.objects.filter(action="inspection.print").count() == 1
    other = portal("0912000915", Role.INSPECTOR, areas["740"])
    assert other.get(url).status_code == 404


def test_a_persons_record_names_the_person_and_their_signature(places, inspector, portal,
                                                               areas):
    made = inspector.post("/api/v1/inspections", body(
        subject="person", venue_code="", roster_member_id=places["worker"].pk,
        violation="nd117-d7-k1", fine=2_000_000)).json()
    text = pdf_text(portal("0912000916", Role.INSPECTOR, areas["731"])
                    .get(made["record_pdf_url"]).content)
    assert "Lê Văn Công" in text and "NGƯỜI ĐƯỢC KIỂM TRA" in text
    assert "1.000.000 đồng – 3.000.000 đồng" in text


def test_the_list_filters_by_area_name(places, inspector, inspector_page):
    inspector.post("/api/v1/inspections", body(result="compliant", violation="", fine=None))
    page = inspector_page.get("/reports/inspections/").content.decode()
    select = re.search(r'<select name="area" id="i-area">.*?</select>', page, re.S).group(0)
    assert ">Thành phố Biên Hòa</option>" in select and "Phường Trảng Dài" in select
    assert "Huyện Long Thành" not in select
    assert "Chợ Trảng Dài" in inspector_page.get("/reports/inspections/",
                                                 {"area": "25993"}).content.decode()
    assert "Chợ Trảng Dài" not in inspector_page.get("/reports/inspections/",
                                                     {"area": "25996"}).content.decode()
