"""The request as a signed-in caller's view or endpoint sees it, for the type checker.

Django's `HttpRequest.user` may be anonymous and django-ninja's `request.auth` is untyped:
a view behind `login_required`, or an endpoint behind `PEOPLE_AUTH` (a Bearer token or the
portal session, kiemdich.accounts.auth), knows better. Annotating its request with
`AuthedRequest` says so once, instead of a check or a cast in every function. The object is
still Django's own request: these classes only declare, nothing is constructed from them.
"""

from __future__ import annotations

from django.http import HttpRequest

from kiemdich.accounts.models import User


class AuthedRequest(HttpRequest):
    """Behind login (`login_required`) or `PEOPLE_AUTH`: an active account."""

    user: User
    auth: User


class ApiRequest(HttpRequest):
    """What the API's authentication hangs on a request it accepted.

    `api_token` exists on a Bearer call only and `device` on a Device call only: read them
    with `getattr(request, name, None)`.
    """

    auth: object
    api_token: str
    device: object
