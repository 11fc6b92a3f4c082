"""Flags for remote or mass check-ins, raised after the scan has committed.

A visitor's own check-in sends `kiemdich.scans.signals.checked_in` inside its transaction,
and `noted` (connected at start-up, PrivacyConfig.ready()) calls `note_checkin`; the checks
run only once that commits (`transaction.on_commit`), count in the shared cache (Redis in
production) and write a Flag row only when a pattern is found — the hot path gains no SQL
statement.

- mass: more than ABUSE_MASS_ACCOUNTS_PER_MINUTE different accounts checking in at one venue
  within one minute (a photographed poster passed around a group chat);
- remote: a check-in that carries the device's location farther than ABUSE_REMOTE_KM from
  the venue's registered coordinates.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kiemdich.accounts.scopes import Scope
from kiemdich.core.caching import soft_cache
from kiemdich.privacy.models import Flag
from kiemdich.venues.models import Venue

EARTH_RADIUS_KM = 6371.0


def note_checkin(venue: Venue, account_id: int | None,
                 location: tuple[float, float] | None = None) -> None:
    """Check this check-in once its transaction commits (or now, outside one)."""
    transaction.on_commit(lambda: check_checkin(venue, account_id, location))


def noted(sender: object, *, venue: Venue, account_id: int | None,
          location: tuple[float, float] | None, **kwargs: object) -> None:
    """The receiver of scans' `checked_in`: a visitor checked in at the venue's poster."""
    note_checkin(venue, account_id, location)


def check_checkin(venue: Venue, account_id: int | None,
                  location: tuple[float, float] | None = None) -> list[Flag]:
    flags = []
    if account_id is not None:
        flag = _check_mass(venue, account_id)
        if flag:
            flags.append(flag)
    if location is not None and venue.latitude is not None and venue.longitude is not None:
        distance = distance_km((venue.latitude, venue.longitude), location)
        if distance > settings.ABUSE_REMOTE_KM:
            flags.append(Flag.objects.create(
                venue_id=venue.pk, kind=Flag.Kind.REMOTE, account_id=account_id,
                detail=f"distance_km={distance:.1f}", created_at=timezone.now()))
    return flags


def _check_mass(venue: Venue, account_id: int) -> Flag | None:
    minute = int(time.time()) // 60
    prefix = f"abuse:v{venue.pk}:m{minute}"
    # Only an account's first check-in of the minute counts as distinct, atomically. Without
    # the shared cache (Redis down) the check is skipped, logged: the check-in is already
    # stored and must not fail after its commit.
    distinct = soft_cache.count_new(f"{prefix}:a{account_id}", f"{prefix}:n", timeout=120)
    if not distinct:  # counted before, or the cache is unavailable
        return None
    # One flag per venue and minute: exactly the check-in that crosses the threshold.
    if distinct != settings.ABUSE_MASS_ACCOUNTS_PER_MINUTE + 1:
        return None
    return Flag.objects.create(venue_id=venue.pk, kind=Flag.Kind.MASS,
                               detail=f"accounts_per_minute>{distinct - 1}",
                               created_at=timezone.now())


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def flags_for(scope: Scope) -> QuerySet[Flag]:
    """The flags at venues an officer-type role supervises, newest first."""
    venues = Venue.objects.filter(
        scope.area_filter("area", "officer", "health_officer", "inspector",
                          sector_field="sector"))
    return Flag.objects.filter(venue_id__in=venues.values("pk")).order_by("-created_at")
