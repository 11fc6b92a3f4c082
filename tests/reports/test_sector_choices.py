"""A sector officer is offered only the sectors they may open, on every filter and in the
roster import; an officer of every sector is offered all, with no blank the import refuses."""

from __future__ import annotations

import re

import pytest

from kiemdich.accounts.models import Role, Sector

pytestmark = pytest.mark.django_db

PAGES = [("/reports/", {}), ("/reports/compliance/", {"kind": "venues"}),
         ("/venues/directory/", {})]


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.mark.parametrize(("path", "params"), PAGES)
def test_a_sector_officer_filters_only_by_their_sector(areas, portal, path, params):
    trade = portal("0912000951", Role.OFFICER, areas["75"], "trade")
    html = trade.get(path, {"area": "75", **params}).content.decode()
    assert _options(html, "sector") == ["", "trade"]  # "all" = all of theirs
    if path == "/reports/":
        # The chosen sector is named, not given as its code.
        chosen = trade.get(path, {"area": "75", "sector": "trade"}).content.decode()
        assert "· Công thương" in chosen and "· trade" not in chosen
    everyone = portal("0912000952", Role.OFFICER, areas["75"])
    html = everyone.get(path, {"area": "75", **params}).content.decode()
    assert _options(html, "sector") == ["", *Sector.values]


def test_the_roster_import_offers_only_sectors_it_accepts(areas, portal):
    trade = portal("0912000953", Role.OFFICER, areas["75"], "trade")
    html = trade.get("/reports/coverage/", {"area": "75"}).content.decode()
    assert _options(html, "organisation_sector") == ["trade"]
    everyone = portal("0912000954", Role.OFFICER, areas["75"])
    html = everyone.get("/reports/coverage/", {"area": "75"}).content.decode()
    assert _options(html, "organisation_sector") == list(Sector.values)
    assert "—" not in re.search(r'name="organisation_sector".*?</select>', html, re.S).group(0)
