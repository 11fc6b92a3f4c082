"""The zones in force in an area, for the sections other apps' area pages include."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def area_zones(area) -> list:
    from kiemdich.zones.services import zones_in

    return list(zones_in(area)) if area is not None else []
