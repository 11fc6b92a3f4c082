"""Who may do what at a venue: the venue rules, at home with the venues (the scope helper in
accounts knows roles and areas; these read the venues' owners, staff and areas through it).
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import QuerySet

from kiemdich.accounts.models import User
from kiemdich.accounts.scopes import Scope
from kiemdich.venues.models import Venue


def owned_venues(scope: Scope) -> QuerySet[Venue]:
    if scope.user is None:
        return Venue.objects.none()
    return Venue.objects.filter(owner=scope.user)


def staffed_venues(scope: Scope) -> QuerySet[Venue]:
    if scope.user is None:
        return Venue.objects.none()
    return Venue.objects.filter(staff__phone=scope.user.phone, status=Venue.Status.ACTIVE)


def may_scan_at(scope: Scope, venue: Venue, staff_phones: Collection[str]) -> bool:
    """Owners and their authorised staff phones scan at a venue. The caller passes the
    venue's staff phones: the scan ingest keeps them in a short-lived cache so that this
    check costs no query on the hot path."""
    if scope.user is None:
        return False
    return venue.owner_id == scope.user.pk or scope.user.phone in staff_phones


def supervised_venues(scope: Scope, *roles: str) -> QuerySet[Venue]:
    """Venues in the area (and sector) of an officer-type role."""
    return Venue.objects.filter(scope.area_filter("area", *roles, sector_field="sector"))


def may_supervise_venue(scope: Scope, venue: Venue, *roles: str) -> bool:
    return scope.covers(venue.area, *roles, sector=venue.sector)


def venue_facet(user: User, scope: Scope) -> dict:
    """What an account's summary (GET /me) says of its venues (accounts.services)."""
    owned = list(owned_venues(scope).values_list("pk", flat=True))
    staffed = list(staffed_venues(scope).values_list("pk", flat=True))
    roles = {"venue_owner"} if owned else set()
    if staffed:
        roles.add("venue_staff")
    return {"roles": roles, "venues_owned": owned, "venues_staffed": staffed}
