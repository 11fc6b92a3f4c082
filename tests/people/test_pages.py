"""The citizen's pages, used as a person in a browser session would."""

from __future__ import annotations

import pytest

from kiemdich.declarations.models import Declaration
from kiemdich.people.models import Consent, Credential, Person
from kiemdich.people.services import CONSENT_VERSION
from tests.people.support import add_child, answers, ready

pytestmark = pytest.mark.django_db

FORM_NO = {k: ("yes" if v is True else "no") if isinstance(v, bool) else v
           for k, v in answers().items()}


@pytest.fixture
def lan_page(client, lan, areas):
    client.force_login(lan.user)
    return client


def test_home_lists_the_people_with_todays_status(lan_page, lan):
    me = ready(lan)
    child = add_child(lan)
    lan.post(f"/api/v1/people/{me}/declarations", answers())
    html = lan_page.get("/").content.decode()
    assert "Trần Thị Lan" in html and "Nguyễn Minh An" in html
    assert "Đã khai hôm nay" in html and "Chưa khai hôm nay" in html
    assert f"/declare/{child['id']}/" in html and f"/people/{child['id']}/qr/" in html
    assert f"/people/{child['id']}/card/" in html


def test_home_asks_for_consent_and_a_profile_first(lan_page, lan):
    html = lan_page.get("/").content.decode()
    assert "/people/consent/" in html and "Hoàn tất hồ sơ" in html


def test_adding_a_dependant_through_the_form(lan_page, lan):
    data = {"full_name": "Nguyễn Bảo Ngọc", "birth_date": "2016-05-01", "gender": "female",
            "id_number": "", "phone": "", "province": "75", "area_code": "25996",
            "street": "3 Hùng Vương", "nationality": "VN", "relationship": "con"}
    response = lan_page.post("/people/add/", data)
    assert response.status_code == 302
    child = Person.objects.get(full_name="Nguyễn Bảo Ngọc")
    assert child.account == lan.user and child.area.code == "25996" and not child.is_self


def test_the_form_shows_a_wrong_id_number_on_its_field(lan_page):
    response = lan_page.post("/people/add/", {"full_name": "An", "id_number": "123",
                                              "nationality": "VN"})
    assert response.status_code == 400
    assert response.context["form"].errors["id_number"]
    assert not Person.objects.filter(full_name="An").exists()


def test_the_commune_list_follows_the_province(lan_page):
    html = lan_page.get("/people/communes/", {"province": "74"}).content.decode()
    assert "25741" in html and "25993" not in html


def test_declaring_asks_for_consent_first_and_shows_the_text(lan_page, lan):
    me = lan.get("/api/v1/people").json()[0]["id"]
    response = lan_page.get(f"/declare/{me}/")
    assert response.status_code == 302 and response["Location"].startswith("/people/consent/")
    page = lan_page.get(response["Location"]).content.decode()
    assert "consent-text" in page and CONSENT_VERSION in page
    done = lan_page.post("/people/consent/", {"version": CONSENT_VERSION,
                                              "next": f"/declare/{me}/"})
    assert done.status_code == 302 and done["Location"] == f"/declare/{me}/"
    assert Consent.objects.filter(account=lan.user, version=CONSENT_VERSION).exists()
    # Without a name and commune the profile comes next.
    assert lan_page.get(f"/declare/{me}/")["Location"].startswith(f"/people/{me}/edit/")


def test_the_declaration_form_is_prefilled_and_names_missing_answers(lan_page, lan):
    me = ready(lan)
    lan.post(f"/api/v1/people/{me}/declarations",
             answers(visited_places=True, visited_places_text="Đà Lạt"))
    form = lan_page.get(f"/declare/{me}/").context["form"]
    assert form.initial["visited_places"] == "yes"
    assert form.initial["visited_places_text"] == "Đà Lạt"
    incomplete = dict(FORM_NO)
    del incomplete["fever"]
    response = lan_page.post(f"/declare/{me}/", incomplete)
    assert response.status_code == 422 and "fever" in response.context["form"].errors
    contradictory = {**FORM_NO, "visited_places_text": "Huế"}
    response = lan_page.post(f"/declare/{me}/", contradictory)
    assert response.status_code == 422
    assert "visited_places_text" in response.context["form"].errors
    assert Declaration.objects.count() == 1


def test_declaring_through_the_form_and_renewing_with_one_tap(lan_page, lan):
    me = ready(lan)
    assert lan_page.post(f"/declare/{me}/", {**FORM_NO, "cough": "yes"}).status_code == 302
    assert Declaration.objects.get().has_symptoms
    page = lan_page.get(f"/declare/{me}/").content.decode()
    assert 'id="renew"' not in page  # after symptoms, the full form only
    lan_page.post(f"/declare/{me}/", FORM_NO)
    assert 'id="renew"' in lan_page.get(f"/declare/{me}/").content.decode()
    assert lan_page.post(f"/declare/{me}/renew/").status_code == 302
    assert Declaration.objects.count() == 3
    assert not Declaration.objects.latest("pk").has_symptoms


def test_the_qr_page_shows_the_code_name_and_badge(lan_page, lan):
    me = ready(lan)
    html = lan_page.get(f"/people/{me}/qr/").content.decode()
    assert "<svg" in html and "Trần Thị Lan" in html and "Chưa khai báo hôm nay" in html
    assert "data-refresh-at" in html and "people/qr.js" in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>")[0]
    lan.post(f"/api/v1/people/{me}/declarations", answers())
    assert 'id="declared-today"' in lan_page.get(f"/people/{me}/qr/").content.decode()


def test_printing_and_revoking_a_card_from_the_card_page(lan_page, lan):
    me = ready(lan)
    response = lan_page.post(f"/people/{me}/card/")
    assert response["Content-Type"] == "application/pdf"
    card = Credential.objects.get(person_id=me)
    page = lan_page.get(f"/people/{me}/card/").content.decode()
    assert f"/people/{me}/cards/{card.serial}/revoke/" in page
    lan_page.post(f"/people/{me}/cards/{card.serial}/revoke/")
    card.refresh_from_db()
    assert card.revoked_at is not None


def _pdf_pages(content: bytes) -> list[tuple[tuple[float, float], int, str]]:
    """(size in points, QR codes decoded, text) of each page of a PDF."""
    import pypdfium2
    import zxingcpp

    pages = []
    for page in pypdfium2.PdfDocument(content):
        codes = zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil(),
                                       formats=zxingcpp.BarcodeFormat.QRCode)
        text = " ".join(page.get_textpage().get_text_range().split())
        pages.append((page.get_size(), len(codes), text))
    return pages


@pytest.mark.parametrize(("people", "per_page"), [(10, [10]), (11, [10, 1])])
def test_family_cards_print_ten_to_an_a4_sheet(lan_page, lan, people, per_page):
    ready(lan)
    for n in range(people - 1):
        add_child(lan, name=f"Nguyễn Văn Con {n + 1}")
    assert "/people/cards.pdf" in lan_page.get("/").content.decode()
    response = lan_page.post("/people/cards.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = _pdf_pages(response.content)
    assert [codes for _size, codes, _text in pages] == per_page
    assert all(size == pytest.approx((595.3, 841.9), abs=0.5) for size, _c, _t in pages)
    assert "Trần Thị Lan" in pages[0][2] and f"Nguyễn Văn Con {people - 1}" in pages[-1][2]
    assert Credential.objects.filter(person__account=lan.user).count() == people


def test_family_cards_need_a_complete_profile_and_a_post(lan_page, lan):
    assert lan_page.post("/people/cards.pdf").status_code == 404
    assert lan_page.get("/people/cards.pdf").status_code == 405
    assert not Credential.objects.exists()


def test_another_accounts_person_is_not_found_on_every_page(client, lan, minh, areas):
    ready(lan)
    child = add_child(lan)
    client.force_login(minh.user)
    for path in (f"/people/{child['id']}/edit/", f"/people/{child['id']}/qr/",
                 f"/people/{child['id']}/card/", f"/declare/{child['id']}/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/declare/{child['id']}/renew/").status_code == 404
    assert client.post(f"/people/{child['id']}/card/").status_code == 404
    assert not Credential.objects.exists()


def test_pages_need_a_login(client):
    assert client.get("/people/add/")["Location"].startswith("/accounts/login/")


def test_the_form_refuses_an_id_number_another_person_has(lan_page, lan):
    data = {"full_name": "Nguyễn Bảo Ngọc", "id_number": "079215012345", "nationality": "VN",
            "province": "75", "area_code": "25996"}
    assert lan_page.post("/people/add/", data).status_code == 302
    response = lan_page.post("/people/add/", {**data, "full_name": "Nguyễn Bảo Trâm"})
    assert response.status_code == 400
    assert "đã được khai cho một người khác" in response.context["form"].errors["id_number"][0]
    assert not Person.objects.filter(full_name="Nguyễn Bảo Trâm").exists()
