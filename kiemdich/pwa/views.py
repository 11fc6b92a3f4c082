"""What makes the portal installable: the web app manifest, the service worker that keeps
the citizen's pages (and the personal QR code) available offline, and its offline page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from kiemdich.core.static import static_file

THEME = "#0b5d3b"
BACKGROUND = "#f4f6f5"


@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> JsonResponse:
    """The manifest in the visitor's language (it names the app on the home screen)."""
    icons = [{"src": static("kiemdich/icon.svg"), "sizes": "any", "type": "image/svg+xml"}]
    icons += [{"src": static(f"kiemdich/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
              for n in (192, 512)]
    icons.append({"src": static("kiemdich/icon-maskable-512.png"), "sizes": "512x512",
                  "type": "image/png", "purpose": "maskable"})
    data = {
        "name": _("Kiểm Dịch QR"),
        "short_name": _("Kiểm Dịch QR"),
        "description": _("Khai báo y tế và quét mã QR ra vào"),
        "lang": get_language(),
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "icons": icons,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Vary"] = "Cookie, Accept-Language"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the root so that its scope covers every page; the kiosk keeps its own,
    narrower worker under /scan/, which wins there."""
    with open(static_file("kiemdich/sw.js"), encoding="utf-8") as script:
        response = HttpResponse(script.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "pwa/offline.html")
