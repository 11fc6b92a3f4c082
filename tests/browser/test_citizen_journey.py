"""A citizen in a real browser: logs in by SMS code, consents, adds a child, declares for
both and shows the child's QR code, which a real decoder reads back."""

from __future__ import annotations

import io
import os

import pytest
import zxingcpp
from PIL import Image

from kiemdich.declarations.models import Declaration
from kiemdich.people.codes import default_keyring
from kiemdich.people.models import Consent, Person

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_QUESTIONS = ["visited_places", "fever", "cough", "shortness_of_breath", "pneumonia",
                "sore_throat", "fatigue", "contact_case", "contact_from_outbreak",
                "contact_symptomatic"]


def fill_profile(page, name: str) -> None:
    page.fill("input[name=full_name]", name)
    if page.input_value("select[name=province]") != "75":
        # The commune list is swapped in by htmx: wait for it before choosing.
        with page.expect_response("**/people/communes/**"):
            page.select_option("select[name=province]", "75")
    page.wait_for_selector("#id_area_code option[value='25993']", state="attached")
    page.select_option("select[name=area_code]", "25993")
    page.fill("input[name=street]", "25 Phạm Văn Thuận")


def person_link(page, person: Person, name: str):
    return page.locator(f"li[data-person='{person.pk}']").get_by_role("link", name=name,
                                                                        exact=True)


def declare(page, person_id: int, **yes: bool) -> None:
    page.goto(f"/declare/{person_id}/")
    for question in NO_QUESTIONS:
        page.check(f"input[name={question}][value={'yes' if yes.get(question) else 'no'}]")
    page.click("#submit-declaration")
    page.wait_for_url("**/")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_citizen_declares_for_herself_and_her_child_and_shows_the_code(page, login, areas, t,
                                                                       lang):
    login(page, "0912 345 678")
    me = Person.objects.get(account__phone="+84912345678", is_self=True)

    # First declaration: the consent text comes first, then the missing profile.
    person_link(page, me, t("Hoàn tất hồ sơ")).click()
    fill_profile(page, "Trần Thị Lan")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    person_link(page, me, t("Khai báo")).click()
    assert page.locator("#consent-text").is_visible()
    page.click("#consent-accept")
    assert Consent.objects.filter(account=me.account).exists()
    declare(page, me.pk)

    page.click(f"text={t('Thêm người thân')}")
    fill_profile(page, "Nguyễn Minh An")
    page.fill("input[name=birth_date]", "2015-03-02")
    page.fill("input[name=relationship]", "con")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    child = Person.objects.get(account=me.account, is_self=False)
    assert child.area.code == "25993"
    declare(page, child.pk, cough=True)

    assert page.locator(".badge-ok", has_text=t("Đã khai hôm nay")).count() == 1
    assert page.locator(".badge-warn", has_text=t("Đã khai hôm nay")).count() == 1
    assert Declaration.objects.filter(person=child, has_symptoms=True).count() == 1

    person_link(page, child, t("Mã QR")).click()
    page.wait_for_selector(".qr-code svg")
    assert page.locator(".qr-name").inner_text() == "Nguyễn Minh An"
    assert t("Đã khai báo hôm nay") in page.locator(".qr-badge").inner_text()
    shot = Image.open(io.BytesIO(page.locator(".qr-code").screenshot()))
    (code,) = zxingcpp.read_barcodes(shot, formats=zxingcpp.BarcodeFormat.QRCode)
    assert default_keyring().verify(code.text).subject == child.public_id
