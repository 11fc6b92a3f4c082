"""The zones in force drawn on a map (SVG made on the server from numbers and escaped names
only): a zone on a venue is a marker at the venue; a zone on a commune, which has no outline
here (the area data, vietnam_provinces, holds names and codes only), is a shaded disc over the
commune's venues that have coordinates, labelled."""

from __future__ import annotations

import math
from collections import defaultdict

from django.utils.html import escape
from django.utils.translation import gettext

from kiemdich.core.svgmap import empty_map, frame, map_label, projection
from kiemdich.venues.models import Venue
from kiemdich.zones.models import Zone

COLOURS: dict[str, str] = {Zone.Kind.QUARANTINE: "#9a5b00", Zone.Kind.LOCKDOWN: "#b3261e",
           Zone.Kind.GREEN: "#1b7f3b"}


def _venue_points(zones: list[Zone]) -> dict[int, list[tuple[float, float]]]:
    """The coordinates of the venues of each zoned commune."""
    area_ids = {z.area_id for z in zones if z.area_id}
    points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    rows = (Venue.objects.filter(area_id__in=area_ids, latitude__isnull=False,
                                 longitude__isnull=False)
            .values_list("area_id", "latitude", "longitude")[:5000])
    for area_id, lat, lng in rows:
        if lat is not None and lng is not None:  # as filtered: the column types allow None
            points[area_id].append((lat, lng))
    return points


def zones_svg(zones: list[Zone]) -> str:
    communes = _venue_points(zones)
    placed: list[tuple[Zone, list[tuple[float, float]]]] = []
    for zone in zones:
        venue = zone.venue
        if venue is not None and venue.latitude is not None and venue.longitude is not None:
            placed.append((zone, [(venue.latitude, venue.longitude)]))
        elif zone.area_id and communes.get(zone.area_id):
            placed.append((zone, communes[zone.area_id]))
    label = gettext("Bản đồ vùng cách ly, phong tỏa, vùng xanh")
    if not placed:
        return empty_map("zones-map", label)
    parts = frame("zones-map", label)
    project = projection([p for _zone, points in placed for p in points])
    for zone, points in placed:
        colour = COLOURS[zone.kind]
        xy = [project(lat, lng) for lat, lng in points]
        cx = sum(x for x, _y in xy) / len(xy)
        cy = sum(y for _x, y in xy) / len(xy)
        name = zone.place_name
        title = escape(f"{zone.get_kind_display()}: {name}")
        if zone.venue_id:
            parts.append(f'<rect data-zone="{zone.pk}" x="{cx - 8:.1f}" y="{cy - 8:.1f}" '
                         f'width="16" height="16" fill="{colour}" stroke="#fff">'
                         f'<title>{title}</title></rect>')
        else:
            radius = max(28.0, max(math.dist((cx, cy), p) for p in xy) + 18)
            parts.append(f'<circle data-zone="{zone.pk}" cx="{cx:.1f}" cy="{cy:.1f}" '
                         f'r="{min(radius, 160):.1f}" fill="{colour}" fill-opacity="0.22" '
                         f'stroke="{colour}" stroke-width="2"><title>{title}</title></circle>')
            parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
                      for x, y in xy]
        # Large enough to read once the map is shrunk to a phone's width (about half).
        # Whole inside the map, even at its edges.
        parts.append(map_label(cx, cy - 16, name, colour))
    parts.append("</svg>")
    return "".join(parts)
