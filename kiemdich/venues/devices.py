"""Dedicated readers: tokens shown once, kept hashed, revocable, bound to one venue.

A reader authenticates every scan, so the token lookup is on the hot path: devices are kept
in-process for DEVICE_CACHE_SECONDS by the token's digest. Revoking a device or changing its
venue clears the caches of every server process at once (kiemdich.core.invalidation).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from kiemdich.accounts.models import User
from kiemdich.core.caching import ProcessCache
from kiemdich.core.tokens import digest
from kiemdich.venues.models import Device, Venue

DEVICE_TOKEN_PREFIX = "kdd_"
DEVICE_CACHE_SECONDS = 10.0
# How stale a reader's "last used" may be: one write a minute, not one a scan.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_readers: ProcessCache[Device] = ProcessCache(DEVICE_CACHE_SECONDS)


def create_device(venue: Venue, name: str, *, kind: str = Device.Kind.READER,
                  expires_at: datetime | None = None,
                  enrolled_by: User | None = None) -> tuple[Device, str]:
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = Device.objects.create(venue=venue, name=name, token_hash=digest(token), kind=kind,
                                   expires_at=expires_at, enrolled_by=enrolled_by)
    return device, token


def device_for_token(token: str) -> Device | None:
    """The active reader holding this token at an active venue, or None."""
    token_hash = digest(token)
    now = timezone.now()
    device = _readers.get(token_hash)
    if device is None:
        device = (Device.objects.select_related("venue")
                  .filter(token_hash=token_hash, revoked_at__isnull=True).first())
        if device is None or device.venue.status != Venue.Status.ACTIVE:
            return None
        _readers.put(token_hash, device)
    if device.expires_at is not None and device.expires_at <= now:
        return None
    if device.last_used_at is None or now - device.last_used_at > LAST_USED_RESOLUTION:
        Device.objects.filter(pk=device.pk).update(last_used_at=now)
        device.last_used_at = now
    return device


def refusal_reason(token: str) -> str | None:
    """Why a token that once was a device's no longer is: `device_revoked` (its owner took it
    back: the device stops) or `device_expired` (a kiosk's shift is over: staff sign in
    again). None for a token that never was one. Read only once a token was refused."""
    device = Device.objects.filter(token_hash=digest(token)).only(
        "revoked_at", "expires_at").first()
    if device is None:
        return None
    if device.revoked_at is not None:
        return "device_revoked"
    if device.expires_at is not None and device.expires_at <= timezone.now():
        return "device_expired"
    return None
