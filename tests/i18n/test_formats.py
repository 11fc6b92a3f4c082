"""Dates and numbers on a page follow the visitor's language: Vietnamese dd/mm/yyyy with "."
between thousands, English "12 Oct 2021" with ",". The language comes from the cookie the
switch sets, and the switch itself works."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.conf import settings

from kiemdich.accounts.models import Role
from kiemdich.areas.models import Area
from kiemdich.reports import rollups
from tests.reports.gen import generate

DAY = date(2021, 10, 12)


@pytest.fixture
def officer(areas, portal):
    generate(list(Area.objects.leaves().order_by("code")), [DAY], scans=4400, seed=5)
    rollups.refresh(since=DAY, until=DAY)
    return portal("0912000711", Role.OFFICER, Area.objects.get(code="75"))


def figure(html: str, key: str) -> str:
    return re.search(rf'data-figure="{key}">([^<]+)<', html).group(1)


@pytest.mark.parametrize(("lang", "day", "sep", "heading"), [
    ("vi", "12/10/2021", ".", "Thống kê"),
    ("en", "12 Oct 2021", ",", "Statistics"),
])
def test_the_dashboard_formats_dates_and_numbers_in_the_chosen_language(officer, lang, day,
                                                                        sep, heading):
    officer.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    html = officer.get("/reports/", {"area": "75", "date_from": DAY, "date_to": DAY}) \
        .content.decode()
    assert f'<html lang="{lang}">' in html
    assert heading in html
    assert day in html
    checkins = figure(html, "scans_in")
    assert int(checkins.replace(sep, "")) >= 1000, checkins
    assert re.fullmatch(rf"\d{{1,3}}(\{sep}\d{{3}})+", checkins), checkins


def test_the_language_switch_sets_the_cookie_and_comes_back_to_the_page(client, areas):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/progress/"})
    assert response.status_code == 302 and response.url == "/progress/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/progress/").content.decode()
    assert "Roll-out progress" in page and "Tiến độ triển khai" not in page
    client.post("/i18n/setlang/", {"language": "vi", "next": "/progress/"})
    assert "Tiến độ triển khai" in client.get("/progress/").content.decode()
