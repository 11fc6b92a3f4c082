"""Idle and absolute session timeouts for the portal."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

_STARTED = "kd_started"
_SEEN = "kd_seen"


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.get(_STARTED, now)
            seen = request.session.get(_SEEN, now)
            if now - seen > settings.SESSION_IDLE_SECONDS or \
                    now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
            else:
                request.session[_STARTED] = started
                # Write the session at most once a minute, not on every request.
                if now - seen > 60 or _SEEN not in request.session:
                    request.session[_SEEN] = now
        return self.get_response(request)


def start_session_clock(sender: object, request: HttpRequest, user: object, **kwargs: object
                        ) -> None:
    """The absolute timeout counts from the login itself (connected to user_logged_in)."""
    now = int(time.time())
    request.session[_STARTED] = now
    request.session[_SEEN] = now
