"""Dedicated readers: tokens shown once, kept hashed, revocable, bound to one venue."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from kiemdich.accounts.auth import digest
from kiemdich.venues.models import Device, Venue

DEVICE_TOKEN_PREFIX = "kdd_"


def create_device(venue: Venue, name: str) -> tuple[Device, str]:
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = Device.objects.create(venue=venue, name=name, token_hash=digest(token))
    return device, token


def device_for_token(token: str) -> Device | None:
    device = (Device.objects.select_related("venue")
              .filter(token_hash=digest(token), revoked_at__isnull=True).first())
    if device is None or device.venue.status != Venue.Status.ACTIVE:
        return None
    now = timezone.now()
    if device.last_used_at is None or now - device.last_used_at > timedelta(minutes=1):
        Device.objects.filter(pk=device.pk).update(last_used_at=now)
        device.last_used_at = now
    return device
