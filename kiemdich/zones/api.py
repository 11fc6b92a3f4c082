"""Zones for provincial systems and apps: the zones an officer sees, drawing one, lifting
one (additions to the Authorities part of the contract)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kiemdich.accounts.auth import PEOPLE_AUTH
from kiemdich.accounts.scopes import scope_of
from kiemdich.core.schemas import ErrorOut
from kiemdich.zones import services
from kiemdich.zones.models import Zone

router = Router(tags=["zones"])
ERRORS = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ZoneIn(Schema):
    """A zone on one commune (`area_code`) or one venue (`venue_code`, its QR code)."""

    kind: Literal["quarantine", "lockdown", "green"]
    area_code: str = Field("", max_length=16)
    venue_code: str = Field("", max_length=40)
    starts_on: date
    ends_on: date
    reason: str = Field("", max_length=300)


class ZoneOut(Schema):
    id: int
    kind: str
    area_code: str | None
    area_name: str | None
    venue_id: int | None
    venue_name: str | None
    starts_on: date
    ends_on: date
    reason: str
    in_force: bool
    ended_at: datetime | None


def _zone(zone: Zone) -> dict:
    area = zone.area if zone.area_id else None
    today = services.today()
    return {
        "id": zone.pk, "kind": zone.kind,
        "area_code": area.code if area else None, "area_name": area.name if area else None,
        "venue_id": zone.venue_id,
        "venue_name": zone.venue.name if zone.venue is not None else None,
        "starts_on": zone.starts_on, "ends_on": zone.ends_on, "reason": zone.reason,
        "in_force": (zone.ended_at is None and zone.starts_on <= today <= zone.ends_on),
        "ended_at": zone.ended_at,
    }


@router.get("/zones", response={200: list[ZoneOut]}, auth=PEOPLE_AUTH)
def list_zones(request: HttpRequest, in_force: bool = True, limit: int = 200) -> list[dict]:
    """Officers and health officers: the zones of their area (`in_force=false`: every zone,
    newest first)."""
    zones = services.zones_for(scope_of(request))
    if in_force:
        zones = zones.filter(services.in_force())
    return [_zone(z) for z in zones[:max(1, min(limit, 500))]]


@router.post("/zones", response={201: ZoneOut, **ERRORS}, auth=PEOPLE_AUTH)
def draw_zone(request: HttpRequest, payload: ZoneIn) -> Status:
    """Draw a quarantine, lockdown or green zone; residents of a quarantine or lockdown
    commune join the list of people who must declare while it is in force."""
    zone = services.draw(scope_of(request), **payload.dict())
    return Status(201, _zone(zone))


@router.post("/zones/{zone_id}/lift", response={200: ZoneOut, **ERRORS}, auth=PEOPLE_AUTH)
def lift_zone(request: HttpRequest, zone_id: int) -> dict:
    """End a zone before its last day."""
    return _zone(services.lift(scope_of(request), zone_id))
