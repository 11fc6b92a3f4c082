from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from kiemdich.accounts.views import home
from kiemdich.api import api
from kiemdich.core.observability import metrics_view


def _admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The admin site's password form would be a second, unthrottled way in: admins log in
    like everyone else, by phone and one-time code (rate-limited), then come back."""
    return redirect_to_login(request.GET.get("next") or request.get_full_path())


# The one admin site, its login view replaced (a subclass would need a site of its own).
admin.site.login = _admin_login  # type: ignore[method-assign]


urlpatterns = [
    # First: the API carries the traffic (scans every second), the pages are tried after it.
    path("api/v1/", api.urls),
    path("metrics", metrics_view, name="metrics"),
    path("", home, name="home"),
    path("accounts/", include("kiemdich.accounts.urls")),
    # The own-data downloads beside the people's pages; privacy gathers them from every app.
    path("people/", include("kiemdich.privacy.own_data_urls")),
    path("people/", include("kiemdich.people.urls")),
    path("declare/", include("kiemdich.declarations.urls")),
    path("alerts/", include("kiemdich.declarations.alert_urls")),
    path("privacy/", include("kiemdich.privacy.urls")),
    path("venues/", include("kiemdich.venues.urls")),
    path("reports/", include("kiemdich.reports.urls")),
    path("progress/", include("kiemdich.reports.public_urls")),
    path("tracing/", include("kiemdich.tracing.urls")),
    path("zones/", include("kiemdich.zones.urls")),
    path("operations/", include("kiemdich.operations.urls")),
    path("jobs/", include("kiemdich.jobpages.urls")),
    path("v/", include("kiemdich.scans.poster_urls")),
    path("scan/", include("kiemdich.scans.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("kiemdich.pwa.urls")),
    path("i18n/catalog.js", JavaScriptCatalog.as_view(), name="js_catalog"),
] + ([path("admin/", admin.site.urls)] if settings.ADMIN_ENABLED else [])


# Failures outside the views' own answers: JSON under /api/, the 503 when the database is away.
handler400 = "kiemdich.failures.bad_request"
handler403 = "kiemdich.failures.permission_denied"
handler404 = "kiemdich.failures.not_found"
handler500 = "kiemdich.failures.server_error"
