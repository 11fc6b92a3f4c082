"""API authentication: `Bearer <token>` for people, `Device <token>` for dedicated readers,
and the portal's session (with CSRF) for pages that call the API from the browser."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from kiemdich.accounts.models import ApiToken, User

TOKEN_PREFIX = "kd_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user, key_hash=digest(token),
        expires_at=timezone.now() + timedelta(seconds=settings.API_TOKEN_TTL_SECONDS),
    )
    return token, record


def user_for_token(token: str) -> User | None:
    now = timezone.now()
    record = (ApiToken.objects.select_related("user")
              .filter(key_hash=digest(token), revoked_at__isnull=True, expires_at__gt=now)
              .first())
    if record is None or not record.user.is_active:
        return None
    # Touch at most once a minute: the hot path should not write on every request.
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


def revoke_token(token: str) -> None:
    ApiToken.objects.filter(key_hash=digest(token)).update(revoked_at=timezone.now())


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
            request.api_token = token
        return user


class DeviceAuth(APIKeyHeader):
    """`Authorization: Device <token>`: a dedicated reader acting for its one venue."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None):
        if not key or not key.startswith("Device "):
            return None
        from kiemdich.venues.devices import device_for_token

        device = device_for_token(key[len("Device "):].strip())
        if device is not None:
            request.device = device
        return device


class PortalSessionAuth(SessionAuth):
    """The logged-in portal session; CSRF is enforced as on any form."""


bearer_auth = BearerAuth()
device_auth = DeviceAuth()
session_auth = PortalSessionAuth()
PEOPLE_AUTH = [bearer_auth, session_auth]
SCANNER_AUTH = [device_auth, bearer_auth, session_auth]
