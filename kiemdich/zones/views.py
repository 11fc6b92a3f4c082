"""Zone pages for officers: the zones of their area on a list and a map, a form to draw one,
and lifting one early (after a confirmation)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kiemdich.accounts import policy
from kiemdich.accounts.scopes import Scope, scope_of
from kiemdich.areas.picker import AreaField
from kiemdich.core.errors import Conflict, Invalid, NotFound
from kiemdich.core.forms import field_of
from kiemdich.zones import maps, services
from kiemdich.zones.forms import ZoneForm
from kiemdich.zones.models import Zone


def _officer_scope(request: HttpRequest) -> Scope:
    scope = scope_of(request)
    if not scope.has(*policy.ZONES):
        raise Http404
    return scope


@login_required
def zone_list(request: HttpRequest) -> HttpResponse:
    scope = _officer_scope(request)
    zones = services.zones_for(scope)
    current = list(zones.filter(services.in_force()))
    past = list(zones.exclude(services.in_force())[:100])
    return render(request, "zones/list.html", {
        "current": current, "past": past,
        # Built by maps.zones_svg from numbers and escaped names only.
        "map_svg": mark_safe(maps.zones_svg(current)),  # noqa: S308
    })


@login_required
def zone_new(request: HttpRequest) -> HttpResponse:
    scope = _officer_scope(request)
    initial = {"starts_on": services.today(), "area_code": request.GET.get("area", "")}
    form = ZoneForm(request.POST or None, initial=initial)
    field_of(form, "area_code", AreaField).offer(
        scope.visible_areas(*policy.ZONES).leaves())
    if request.method == "POST" and form.is_valid():
        try:
            services.draw(scope, **form.cleaned_data)
        except (Invalid, NotFound) as exc:
            # The dates, the kind, or the commune or venue out of reach: beside the field.
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            form.error_code = exc.code
        else:
            messages.success(request, _("Đã khoanh vùng."))
            return redirect("zones:list")
    return render(request, "zones/form.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


@login_required
def zone_lift(request: HttpRequest, zone_id: int) -> HttpResponse:
    scope = _officer_scope(request)
    zone: Zone = services.visible_zone(scope, zone_id)
    if request.method == "POST":
        try:
            services.lift(scope, zone.pk)
        except Conflict as exc:
            # Ended already (by its date, or another officer a moment ago): said, with the
            # way back to the list, under the code's own status.
            return render(request, "refused.html", {
                "code": exc.code, "message": exc.message, "back_url": reverse("zones:list"),
                "back_label": _("Vùng cách ly, phong tỏa")}, status=exc.status)
        messages.success(request, _("Đã dỡ bỏ vùng."))
        return redirect("zones:list")
    return render(request, "zones/lift.html", {"zone": zone})
