"""API authentication of people: `Bearer <token>` and the portal's session (with CSRF) for
pages that call the API from the browser. Dedicated readers (`Device <token>`) are
authenticated by venues, which owns them (kiemdich.venues.auth)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import cast

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from kiemdich.accounts.models import ApiToken, User
from kiemdich.accounts.requests import ApiRequest
from kiemdich.core.db import column_of, execute, instance_from_row, prepared_cursor
from kiemdich.core.errors import Forbidden
from kiemdich.core.tokens import digest

TOKEN_PREFIX = "kd_"


def issue_token(user: User) -> tuple[str, ApiToken]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user, key_hash=digest(token),
        expires_at=timezone.now() + timedelta(seconds=settings.API_TOKEN_TTL_SECONDS),
    )
    return token, record


def user_for_token(token: str) -> User | None:
    now = timezone.now()
    if connection.vendor == "postgresql":
        found = _token_user_sql(digest(token), now)
    else:
        record = (ApiToken.objects.select_related("user")
                  .filter(key_hash=digest(token), revoked_at__isnull=True, expires_at__gt=now)
                  .first())
        found = (record.pk, record.last_used_at, record.user) if record else None
    if found is None or not found[2].is_active:
        return None
    token_id, last_used_at, user = found
    # Touch at most once a minute: the hot path should not write on every request.
    if last_used_at is None or now - last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user


@cache
def _token_query() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(column_of(f))}" for f in User._meta.concrete_fields)
    return (f"SELECT t.id, t.last_used_at, {columns} "  # noqa: S608 (model names only)
            f"FROM {quote(ApiToken._meta.db_table)} t JOIN {quote(User._meta.db_table)} u "
            "ON u.id = t.user_id WHERE t.key_hash = %s AND t.revoked_at IS NULL "
            "AND t.expires_at > %s")


def _token_user_sql(key_hash: str, now: datetime) -> tuple[int, datetime | None, User] | None:
    """Every Bearer request looks its token up: SQL written once and prepared (kiemdich.core.db)."""
    with prepared_cursor() as cursor:
        execute(cursor, _token_query(), [key_hash, now])
        row = cursor.fetchone()
    if row is None:
        return None
    user, _rest = instance_from_row(User, row[2:])
    return row[0], row[1], user


def revoke_token(token: str) -> None:
    ApiToken.objects.filter(key_hash=digest(token)).update(revoked_at=timezone.now())


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
            cast(ApiRequest, request).api_token = token
        return user


class PortalSessionAuth(SessionAuth):
    """The logged-in portal session; CSRF is enforced as on any form.

    Only a logged-in session is held to CSRF: a request without one (a reader with a wrong
    `Device` token, an app with an expired `Bearer` token) is simply not authenticated by
    this method, and answers 401 like any other unauthenticated call, never a CSRF refusal.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise Forbidden(code="csrf_failed")
        return request.COOKIES.get(self.param_name)


bearer_auth = BearerAuth()
session_auth = PortalSessionAuth()
PEOPLE_AUTH = [bearer_auth, session_auth]
