"""The zones in force in an area, for the sections other apps' area pages include."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from kiemdich.zones.services import zones_in

if TYPE_CHECKING:
    from kiemdich.areas.models import Area
    from kiemdich.zones.models import Zone

register = template.Library()


@register.simple_tag
def area_zones(area: Area | None) -> list[Zone]:
    return list(zones_in(area)) if area is not None else []
