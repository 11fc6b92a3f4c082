"""A one-click that cannot be undone asks first: dismissed, nothing changes; accepted, it is
done. A new QR code for a place, a revoked card, consent withdrawn."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone

from kiemdich.accounts.services import account_for_phone
from kiemdich.people.codes import issue_card_code
from kiemdich.people.models import Consent, Credential, Person
from kiemdich.people.services import CONSENT_VERSION
from kiemdich.venues.models import Venue
from kiemdich.venues.services import register_venue
from tests.browser.conftest import new_context

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(browser, live_server, sign_in):
    contexts = []

    def open_as(phone: str):
        context = new_context(browser, live_server.url)
        contexts.append(context)
        sign_in(context, account_for_phone(phone))
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_as
    for context in contexts:
        context.close()


def _refuse_then_accept(page, button: str, unchanged, changed) -> None:
    questions: list[str] = []

    def dismiss(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name=button, exact=True).click()
    assert len(questions) == 1 and "?" in questions[0]  # it asked, in words
    assert unchanged()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    assert changed()


def test_a_new_qr_code_is_asked_for_first(signed_in, areas):
    venue = register_venue(account_for_phone("0912000002"), {
        "name": "Quán Phở Hòa", "venue_type": "restaurant", "area_code": "25993",
        "street": "1 Lê Lợi"})
    page = signed_in("0912000002")
    page.goto(f"/venues/{venue.pk}/")
    code = venue.code
    _refuse_then_accept(page, "Đổi mã QR",
                        lambda: Venue.objects.get(pk=venue.pk).code == code,
                        lambda: Venue.objects.get(pk=venue.pk).code != code)


def test_revoking_a_card_is_asked_for_first(signed_in, areas):
    user = account_for_phone("0912000001")
    person = Person.objects.get(account=user, is_self=True)
    Person.objects.filter(pk=person.pk).update(full_name="Trần Thị Lan")
    _payload, expires = issue_card_code(person.public_id, 1001, timezone.now())
    Credential.objects.create(person=person, serial=1001, expires_at=expires)
    page = signed_in("0912000001")
    page.goto(f"/people/{person.pk}/card/")
    revoked = Credential.objects.filter(person=person, serial=1001, revoked_at__isnull=False)
    _refuse_then_accept(page, "Báo mất / thu hồi", lambda: not revoked.exists(),
                        revoked.exists)


def test_withdrawing_consent_is_asked_for_first(signed_in, areas):
    user = account_for_phone("0912000001")
    Consent.objects.create(account=user, version=CONSENT_VERSION)
    page = signed_in("0912000001")
    page.goto("/privacy/")
    active = Consent.objects.filter(account=user, withdrawn_at__isnull=True)
    _refuse_then_accept(page, "Rút lại sự đồng ý", active.exists,
                        lambda: not active.exists())
