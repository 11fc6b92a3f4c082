"""Names on the zone map stay whole inside the picture, measured by Chromium: a commune at
the map's left or right edge, a long name, a name wider than the whole map."""

from __future__ import annotations

import pytest

from kiemdich.accounts.models import User
from kiemdich.core import svgmap
from kiemdich.venues.codes import address_key, place_key
from kiemdich.venues.models import Venue
from kiemdich.zones.maps import zones_svg
from kiemdich.zones.models import Zone

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _venue(areas, code, name, lat, lng, commune="25993"):
    return Venue.objects.create(
        code=code, name=name, venue_type="market", sector="trade", area=areas[commune],
        street="1", place_key=place_key(address_key(areas[commune].pk, "1"), name),
        owner=User.objects.get_or_create(phone="+84912000991")[0], default_stay_minutes=60,
        latitude=lat, longitude=lng)


def test_zone_labels_at_the_edges_are_whole(browser, areas):
    from datetime import date

    west = _venue(areas, "K7QM2XHP9RTA3", "Trung tâm Thương mại Biên Hòa phía Tây", 10.95, 106.70)
    east = _venue(areas, "K7QM2XHP9RTA4", "Bệnh viện Đa khoa Khu vực Long Thành — cơ sở 2",
                  10.96, 107.05)
    _venue(areas, "K7QM2XHP9RTA5", "Chợ Tân Phong", 10.95, 106.88, commune="25996")
    huge = "Khu công nghiệp " + "Amata Biên Hòa " * 6
    _venue(areas, "K7QM2XHP9RTA6", huge, 10.80, 106.85)
    today = date.today()
    days = {"starts_on": today, "ends_on": today}
    zones = [Zone.objects.create(kind=Zone.Kind.LOCKDOWN, venue=west, **days),
             Zone.objects.create(kind=Zone.Kind.QUARANTINE, venue=east, **days),
             Zone.objects.create(kind=Zone.Kind.GREEN, area=areas["25996"], **days),
             Zone.objects.create(kind=Zone.Kind.LOCKDOWN, venue=Venue.objects.get(name=huge),
                                 **days)]
    svg = zones_svg(list(Zone.objects.select_related("venue", "area").filter(
        pk__in=[z.pk for z in zones])))
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.set_content(f'<!doctype html><meta charset="utf-8"><body style="margin:0">'
                     f'<div style="width:360px">{svg}</div>')
    boxes = page.evaluate("""Array.from(document.querySelectorAll('svg text')).map(t => {
        const b = t.getBBox(); return [t.textContent, b.x, b.x + b.width, b.y, b.y + b.height];
    })""")
    page.close()
    assert len(boxes) == 4
    for text, left, right, top, bottom in boxes:
        assert left >= 0 and right <= svgmap.WIDTH, (text, left, right)
        assert top >= 0 and bottom <= svgmap.HEIGHT, (text, top, bottom)
