"""Narrow zoning: exposure sites and contacts per commune and per venue, and a map of the
sites drawn as SVG on the server (no tile server: it works offline and leaks nothing)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.html import escape
from django.utils.translation import gettext

from kiemdich.core.svgmap import empty_map, frame, map_label, projection
from kiemdich.tracing.services import Exposures


@dataclass
class SiteSummary:
    venue_id: int
    name: str
    area_code: str
    area_name: str
    latitude: float | None
    longitude: float | None
    first_exposure: datetime
    last_exposure: datetime
    contacts: set[int] = field(default_factory=set)


@dataclass
class CommuneSummary:
    area_code: str
    area_name: str
    sites: list[SiteSummary] = field(default_factory=list)
    contacts: set[int] = field(default_factory=set)


def summary(exp: Exposures) -> list[CommuneSummary]:
    """Communes by number of contacts (most first), each with its exposure sites."""
    sites: dict[int, SiteSummary] = {}
    for visit in exp.visits:
        venue = exp.venues[visit.venue_id]
        site = sites.get(venue.pk)
        if site is None:
            sites[venue.pk] = SiteSummary(venue.pk, venue.name, venue.area.code,
                                          venue.area.name, venue.latitude, venue.longitude,
                                          visit.start, visit.end)
        else:
            site.first_exposure = min(site.first_exposure, visit.start)
            site.last_exposure = max(site.last_exposure, visit.end)
    for contact in exp.contacts:
        for overlap in contact.overlaps:
            sites[overlap.venue_id].contacts.add(contact.person_id)
    communes: dict[str, CommuneSummary] = {}
    for site in sites.values():
        commune = communes.setdefault(site.area_code,
                                      CommuneSummary(site.area_code, site.area_name))
        commune.sites.append(site)
        commune.contacts |= site.contacts
    for commune in communes.values():
        commune.sites.sort(key=lambda s: (-len(s.contacts), s.name))
    return sorted(communes.values(), key=lambda c: (-len(c.contacts), c.area_code))


def map_svg(communes: list[CommuneSummary]) -> str:
    """Sites with coordinates as circles (area grows with contacts), numbered, with commune
    names at the middle of their sites (kiemdich.core.svgmap's projection)."""
    placed = [s for c in communes for s in c.sites
              if s.latitude is not None and s.longitude is not None]
    label = gettext("Bản đồ điểm phơi nhiễm")
    if not placed:
        return empty_map("tracing-map", label)
    parts = frame("tracing-map", label)
    project = _projection(placed)
    for commune in communes:
        points = [project(s) for s in commune.sites
                  if s.latitude is not None and s.longitude is not None]
        if not points:
            continue
        cx = sum(p[0] for p in points) / len(points)
        cy = min(p[1] for p in points) - 22
        parts.append(map_label(cx, cy, commune.area_name, "#0b5d3b", size=14))
    for number, site in enumerate(placed, start=1):
        x, y = project(site)
        radius = 7 + 3 * math.sqrt(len(site.contacts))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{min(radius, 40):.1f}" '
                     f'fill="#b3261e" fill-opacity="0.35" stroke="#b3261e">'
                     f'<title>{escape(site.name)}: {len(site.contacts)}</title></circle>')
        parts.append(f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="12" '
                     f'fill="#14171a">{number}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _projection(sites: list[SiteSummary]) -> Callable[[SiteSummary], tuple[float, float]]:
    """(x, y) of a site with coordinates (the sites drawn are those that have them)."""
    project = projection([_located(s) for s in sites])
    return lambda site: project(*_located(site))


def _located(site: SiteSummary) -> tuple[float, float]:
    assert site.latitude is not None and site.longitude is not None
    return site.latitude, site.longitude
