"""Dedicated readers: tokens shown once, kept hashed, revocable, bound to one venue.

A reader authenticates every scan, so the token lookup is on the hot path: devices are kept
in-process for DEVICE_CACHE_SECONDS by the token's digest. Revoking a device or changing its
venue clears the caches of every server process at once (kiemdich.invalidation).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from kiemdich.accounts.auth import digest
from kiemdich.caching import ProcessCache
from kiemdich.venues.models import Device, Venue

DEVICE_TOKEN_PREFIX = "kdd_"
DEVICE_CACHE_SECONDS = 10.0
# How stale a reader's "last used" may be: one write a minute, not one a scan.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_readers: ProcessCache[Device] = ProcessCache(DEVICE_CACHE_SECONDS)


def create_device(venue: Venue, name: str) -> tuple[Device, str]:
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = Device.objects.create(venue=venue, name=name, token_hash=digest(token))
    return device, token


def device_for_token(token: str) -> Device | None:
    """The active reader holding this token at an active venue, or None."""
    token_hash = digest(token)
    device = _readers.get(token_hash)
    if device is None:
        device = (Device.objects.select_related("venue")
                  .filter(token_hash=token_hash, revoked_at__isnull=True).first())
        if device is None or device.venue.status != Venue.Status.ACTIVE:
            return None
        _readers.put(token_hash, device)
    now = timezone.now()
    if device.last_used_at is None or now - device.last_used_at > LAST_USED_RESOLUTION:
        Device.objects.filter(pk=device.pk).update(last_used_at=now)
        device.last_used_at = now
    return device
