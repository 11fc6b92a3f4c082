"""Pages: the poster's self check-in (/v/<code>), the staff kiosk, the live page, the owner's
visits by day and the citizen's history. Thin: each calls one service and renders."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kiemdich.accounts.ratelimit import rate_limited
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.core.errors import Invalid, NotFound
from kiemdich.core.forms import parse_day
from kiemdich.core.static import static_file
from kiemdich.jobpages.views import start_export
from kiemdich.people.services import people_of
from kiemdich.scans import services
from kiemdich.scans.access import scanning_venue
from kiemdich.scans.jobs import VISITS_EXPORT
from kiemdich.scans.models import Direction
from kiemdich.venues.services import owner_venue, typed_code, venue_address, venue_by_code

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from kiemdich.venues.models import Venue


@require_http_methods(["GET", "POST"])
@rate_limited("self-checkin", per_user=60, window=60)
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    """What the poster's QR opens: choose who and in or out, one tap."""
    try:
        venue = venue_by_code(code)
    except (NotFound, Invalid) as refusal:
        # At the door, a page of its own: no such place (404), or a place closed or a poster
        # replaced (410, gone for good), with what the visitor can do instead.
        status = 404 if isinstance(refusal, NotFound) else 410
        return render(request, "scans/checkin_refused.html",
                      {"message": refusal.message, "reason": refusal.code}, status=status)
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        # Where the visitor is and what a check-in does, before asking them to log in; the
        # login brings them back here.
        login_url = reverse("accounts:login") + "?" + urlencode({"next": request.path})
        return render(request, "scans/checkin_intro.html", {
            "venue": venue, "address": venue_address(venue), "login_url": login_url})
    people = list(people_of(request.user))
    error: StrOrPromise = ""
    if request.method == "POST":
        direction = request.POST.get("direction")
        try:
            ids = [int(pk) for pk in request.POST.getlist("person")]
        except ValueError:
            ids = []
        if direction in Direction.values:
            try:
                result = services.self_checkin(request.user, code, ids, direction,
                                               location=_location(request.POST))
            except (Invalid, NotFound) as refusal:
                # Nobody chosen, or someone not the account's: the choice again, with why.
                error = refusal.message
            else:
                return render(request, "scans/checkin_done.html",
                              {"venue": venue, "result": result}, status=201)
        else:
            error = _("Hãy chọn Vào hoặc Ra.")
    return render(request, "scans/checkin.html",
                  {"venue": venue, "people": people, "error": error,
                   "colour": services.colour_of_day(timezone.localdate())},
                  status=400 if error else 200)


@require_http_methods(["GET"])
@rate_limited("venue-code-entry", per_ip=60, window=60)
def enter_code(request: HttpRequest) -> HttpResponse:
    """The poster's printed code typed by hand ("Mã nhập tay"): with or without the dashes
    and spaces of the poster, in any case; on to the check-in of the place it names."""
    typed = request.GET.get("code", "")
    context: dict[str, object] = {"code": typed[:64]}
    status = 200
    if typed.strip():
        try:
            venue = venue_by_code(typed_code(typed))
        except (Invalid, NotFound) as refusal:
            # A code of the wrong shape, unknown, retired or closed: the box again, with why.
            context.update(error=refusal.message, reason=refusal.code)
            status = refusal.status
        else:
            return redirect("checkin:checkin", code=venue.code)
    return render(request, "scans/enter_code.html", context, status=status)


def _location(form: QueryDict) -> tuple[float, float] | None:
    """The phone's position the page sent along, when the visitor allowed it. A value that
    is no place on Earth is dropped: it must not cost the visitor their check-in."""
    try:
        latitude, longitude = float(form.get("latitude", "")), float(form.get("longitude", ""))
    except ValueError:
        return None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return latitude, longitude
    return None


def _staff_venue(request: HttpRequest, venue_id: int) -> Venue:
    return scanning_venue(request, venue_id)[0]


@login_required
def kiosk(request: AuthedRequest, venue_id: int) -> HttpResponse:
    """The scanning page for a venue's staff (keyboard-wedge reader, camera, hand entry)."""
    venue = _staff_venue(request, venue_id)
    return render(request, "scans/kiosk.html", {
        "venue": venue, "colour": services.colour_of_day(timezone.localdate()),
        "scan_url": f"/api/v1/venues/{venue.pk}/scans",
        "batch_url": f"/api/v1/venues/{venue.pk}/scans/batch",
        "decode_url": f"/api/v1/venues/{venue.pk}/scans/decode-photo",
        "kiosk_url": f"/api/v1/venues/{venue.pk}/kiosk",
        # Back here after the login, asking for a new kiosk token even after a revocation.
        "signin_url": reverse("accounts:login") + "?" + urlencode(
            {"next": reverse("scans:kiosk", args=[venue.pk]) + "?enroll=1"}),
        "live_url": reverse("scans:live", args=[venue.pk]),
    })


@login_required
def live(request: AuthedRequest, venue_id: int) -> HttpResponse:
    """Who is inside now, today's counts, and entries/exits as they happen (SSE)."""
    venue = _staff_venue(request, venue_id)
    return render(request, "scans/live.html", {
        "venue": venue, "snapshot": services.live_snapshot(venue, request.user),
        "stream_url": f"/api/v1/venues/{venue.pk}/live",
    })


@login_required
def visits(request: AuthedRequest, venue_id: int) -> HttpResponse:
    """The owner's visits of one day, masked; exportable as CSV or XLSX."""
    venue = owner_venue(request.user, venue_id)
    try:
        day = parse_day(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    if request.method == "POST":
        return start_export(request, VISITS_EXPORT, _("Lượt ra vào %(day)s") % {
            "day": day.strftime("%d/%m/%Y")}, venue=venue.pk, day=day.isoformat())
    rows = services.venue_visits(venue, request.user, day)
    return render(request, "scans/visits.html", {"venue": venue, "day": day, "visits": rows})


def service_worker(request: HttpRequest) -> HttpResponse:
    """The kiosk's service worker, served under /scan/ so that its scope covers the kiosk."""
    with open(static_file("scans/sw.js"), encoding="utf-8") as script:
        response = HttpResponse(script.read(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/scan/"
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def history(request: AuthedRequest) -> HttpResponse:
    """The citizen's own check-ins and those of the people the account manages."""
    return render(request, "scans/history.html",
                  {"checkins": services.checkins_of(request.user)})
