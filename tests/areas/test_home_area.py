"""HOME_AREA: the deployment's own province is where forms and the public progress page
start (without it, the first province by name — Bình Dương before Đồng Nai)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kiemdich.accounts.services import account_for_phone

pytestmark = pytest.mark.django_db


def _selected(html: str, name: str) -> str:
    """The value of the selected option of <select name=…> (the first one if none is)."""
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"([^>]*)>', select)
    chosen = [value for value, attrs in options if "selected" in attrs]
    return chosen[0] if chosen else options[0][0]


def _logged_in(phone: str) -> Client:
    client = Client()
    client.force_login(account_for_phone(phone))
    return client


@pytest.mark.parametrize(("home", "province", "district"), [
    ("", "74", "Thành phố Thủ Dầu Một"), ("75", "75", "Thành phố Biên Hòa")])
def test_the_progress_page_starts_at_the_home_province(areas, settings, home, province,
                                                       district):
    settings.HOME_AREA = home
    html = Client().get("/progress/").content.decode()
    assert _selected(html, "area") == province
    assert district in html
    # Another province is still one choice away.
    other = Client().get("/progress/", {"area": "74" if province == "75" else "75"})
    assert _selected(other.content.decode(), "area") != province


@pytest.mark.parametrize("home", ["", "75"])
def test_the_venue_form_starts_at_the_home_province(areas, settings, home):
    settings.HOME_AREA = home
    html = _logged_in("0912000002").get("/venues/new/").content.decode()
    expected = home or "74"
    assert _selected(html, "province") == expected
    communes = re.search(r'<select name="area_code".*?</select>', html, re.S).group(0)
    assert ("Phường Trảng Dài" in communes) == (expected == "75")


def test_the_profile_form_of_someone_not_yet_placed_starts_at_the_home_province(areas,
                                                                                settings):
    settings.HOME_AREA = "75"
    client = _logged_in("0912000001")
    html = client.get("/people/add/").content.decode()
    assert _selected(html, "province") == "75"
    communes = re.search(r'<select name="area_code".*?</select>', html, re.S).group(0)
    assert "Phường Trảng Dài" in communes and "Phường Hiệp Thành" not in communes


def test_an_unknown_home_area_falls_back_to_the_first_province(areas, settings):
    settings.HOME_AREA = "9999"
    assert _selected(Client().get("/progress/").content.decode(), "area") == "74"
