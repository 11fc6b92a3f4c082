"""Venue pages: the owner's places, posters, staff and readers; the officers' directory."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kiemdich.accounts import policy
from kiemdich.accounts.ratelimit import rate_limited
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import Scope, scope_of
from kiemdich.areas.models import Area
from kiemdich.core.errors import Conflict, Forbidden, Invalid, NotFound
from kiemdich.jobpages.views import start_export
from kiemdich.venues import access as venue_access
from kiemdich.venues import services
from kiemdich.venues.forms import (
    DeviceForm,
    SpecialForm,
    StaffForm,
    VenueForm,
    commune_choices,
    type_groups,
)
from kiemdich.venues.models import Venue
from kiemdich.venues.types import VENUE_TYPES

# More areas than this make the directory's area filter a code box instead of a list.
AREA_SELECT_LIMIT = 1500


def _file(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _detail(venue: Venue) -> HttpResponse:
    return redirect("venues:detail", venue_id=venue.pk)


# Owner -----------------------------------------------------------------------------------


@login_required
def venue_list(request: AuthedRequest) -> HttpResponse:
    venues = list(services.owned_venues(request.user))
    figures = services.today_figures(v.pk for v in venues)
    return render(request, "venues/list.html", {
        "rows": [(v, figures[v.pk]) for v in venues], "sizes": services.POSTER_SIZES})


def _province_code(area: Area) -> str:
    return area.ancestors()[0].code


def _stays() -> dict[str, int]:
    return {key: kind.default_stay_minutes for key, kind in VENUE_TYPES.items()}


def _form_page(request: HttpRequest, form: VenueForm, venue: Venue | None,
               status: int = 200) -> HttpResponse:
    return render(request, "venues/form.html", {
        "form": form, "venue": venue, "type_groups": type_groups(), "stays": _stays(),
        "vehicle_types": [k for k, t in VENUE_TYPES.items() if t.is_vehicle]}, status=status)


@login_required
def venue_new(request: AuthedRequest) -> HttpResponse:
    form = VenueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            venue = services.register_venue(request.user, form.service_data())
        except (Invalid, Conflict) as exc:  # a field refused, or the place already registered
            form.show_error(exc)
        else:
            messages.success(request, _("Đã đăng ký địa điểm. Hãy in áp phích mã QR."))
            return _detail(venue)
    return _form_page(request, form, None, 400 if request.method == "POST" else 200)


@login_required
def venue_edit(request: AuthedRequest, venue_id: int) -> HttpResponse:
    venue = services.owner_venue(request.user, venue_id)
    initial = {f: getattr(venue, f) for f in services.EDITABLE_FIELDS if f != "area_code"}
    initial.update(area_code=venue.area.code, province=_province_code(venue.area))
    form = VenueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_venue(venue, request.user, form.service_data())
        except (Invalid, Conflict) as exc:  # a field refused, or the place already registered
            form.show_error(exc)
        else:
            messages.success(request, _("Đã lưu thay đổi."))
            return _detail(venue)
    return _form_page(request, form, venue, 400 if request.method == "POST" else 200)


@require_GET
def communes(request: HttpRequest) -> HttpResponse:
    """The <option>s of a province's communes, for the form's province select (htmx)."""
    return render(request, "venues/_commune_options.html",
                  {"choices": commune_choices(request.GET.get("province", ""))})


def _detail_page(request: HttpRequest, venue: Venue, status: int = 200,
                 **extra: object) -> HttpResponse:
    labels = services.area_labels([venue.area])
    return render(request, "venues/detail.html", {
        "venue": venue, "address": services.address_line(venue, labels),
        "figures": services.today_figures([venue.pk])[venue.pk],
        "staff": services.list_staff(venue), "devices": services.list_devices(venue),
        "staff_form": StaffForm(), "device_form": DeviceForm(),
        "sizes": services.POSTER_SIZES, **extra}, status=status)


@login_required
def venue_detail(request: AuthedRequest, venue_id: int) -> HttpResponse:
    return _detail_page(request, services.owner_venue(request.user, venue_id))


@login_required
@require_POST
def venue_status(request: AuthedRequest, venue_id: int) -> HttpResponse:
    venue = services.owner_venue(request.user, venue_id)
    try:
        services.update_venue(venue, request.user, {"status": request.POST.get("status", "")})
    except Invalid as exc:  # a status the buttons do not post: said on the venue's page
        messages.error(request, str(exc.message))
    return _detail(venue)


@login_required
@require_POST
def venue_rotate(request: AuthedRequest, venue_id: int) -> HttpResponse:
    venue = services.rotate_code(services.owner_venue(request.user, venue_id), request.user)
    messages.success(request, _("Đã đổi mã QR. Mã cũ không còn dùng được: hãy in và dán áp "
                                "phích mới."))
    return _detail(venue)


@login_required
@require_POST
@rate_limited("venue-staff-add", per_ip=300, per_user=60, window=3600)
def staff_add(request: AuthedRequest, venue_id: int) -> HttpResponse:
    venue = services.owner_venue(request.user, venue_id)
    form = StaffForm(request.POST)
    if form.is_valid():
        try:
            _staff, invited = services.add_staff(venue, request.user, form.cleaned_data["phone"])
        except (Invalid, Conflict) as exc:
            # The phone refused, the owner's own, one already on the staff, or the staff
            # full: beside the phone field.
            form.add_error("phone", str(exc.message))
        else:
            messages.success(request, _("Đã thêm nhân viên và gửi tin nhắn mời.") if invited
                             else _("Đã thêm nhân viên. Hôm nay số này (hoặc bạn) đã nhận đủ "
                                    "tin nhắn mời nên không gửi thêm; hãy báo trực tiếp cho "
                                    "người đó."))
            return _detail(venue)
    return _detail_page(request, venue, staff_form=form, status=400)


@login_required
@require_POST
def staff_remove(request: AuthedRequest, venue_id: int) -> HttpResponse:
    venue = services.owner_venue(request.user, venue_id)
    try:
        services.remove_staff(venue, request.user, request.POST.get("phone", ""))
    except (Invalid, NotFound) as exc:
        # A phone no longer (or never) on the staff, removed from another tab a moment ago:
        # the venue's page, shown again, says so.
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Đã xóa nhân viên."))
    return _detail(venue)


@login_required
@require_POST
def device_add(request: AuthedRequest, venue_id: int) -> HttpResponse:
    """The token is shown in this response only; reloading will not show it again."""
    venue = services.owner_venue(request.user, venue_id)
    form = DeviceForm(request.POST)
    if form.is_valid():
        try:
            device, token = services.add_device(venue, request.user, form.cleaned_data["name"])
        except Invalid as exc:  # no name, too long, or the readers full: beside the name
            form.add_error("name", str(exc.message))
        else:
            response = _detail_page(request, venue, new_device=device, new_token=token)
            response["Cache-Control"] = "no-store"
            return response
    return _detail_page(request, venue, device_form=form, status=400)


@login_required
@require_POST
def device_revoke(request: AuthedRequest, venue_id: int, device_id: int) -> HttpResponse:
    venue = services.owner_venue(request.user, venue_id)
    services.revoke_device(venue, request.user, device_id)
    messages.success(request, _("Đã thu hồi máy quét."))
    return _detail(venue)


@login_required
def poster_pdf(request: AuthedRequest, venue_id: int) -> HttpResponse:
    venue = services.owner_venue(request.user, venue_id)
    size = request.GET.get("size", "A4")
    body = services.poster_pdf(venue, size)
    return _file(body, "application/pdf", f"poster-{venue.code}-{size.upper()}.pdf")


@login_required
def poster_png(request: AuthedRequest, venue_id: int) -> HttpResponse:
    venue = services.owner_venue(request.user, venue_id)
    response = HttpResponse(services.poster_png(venue), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="poster-{venue.code}.png"'
    return response


@login_required
@require_POST
def posters_pdf(request: AuthedRequest) -> HttpResponse:
    """Start the batch of posters as a long task; its page offers the PDF when done."""
    task = services.start_batch_posters(request.user, request.POST.get("size", "A4"))
    return redirect("jobs:task", pk=task.pk)


# Officers --------------------------------------------------------------------------------


def _officer(request: HttpRequest) -> Scope:
    scope = scope_of(request)
    if not scope.has(*policy.VENUE_DIRECTORY):
        raise Http404
    return scope


@login_required
def directory(request: AuthedRequest) -> HttpResponse:
    scope = _officer(request)
    try:
        filters = services.directory_filters(request.GET)
    except Invalid as exc:
        # A filter of the URL refused: the whole directory, unfiltered, under the refusal.
        messages.error(request, str(exc.message))
        filters = services.DirectoryFilters()
    if request.method == "POST":
        # The export is a long task on the workers; its page offers the file when done.
        return start_export(request, services.DIRECTORY_EXPORT, _("Danh bạ địa điểm"))
    venues = services.directory(scope, filters)
    page = Paginator(venues, 50).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k not in ("page", "format") and v}
    areas = scope.visible_areas(*policy.VENUE_DIRECTORY).order_by("path")
    return render(request, "venues/directory.html", {
        "page": page, "filters": filters, "query": urlencode(query),
        "sectors": scope.sector_choices(*policy.VENUE_DIRECTORY),
        "type_groups": type_groups(),
        "statuses": Venue.Status.choices,
        "areas": list(areas) if areas.count() <= AREA_SELECT_LIMIT else None,
        "export_action": "?" + urlencode(query),
    })


@login_required
def directory_detail(request: AuthedRequest, venue_id: int) -> HttpResponse:
    _officer(request)
    venue = services.supervised_venue(request.user, venue_id)
    form = SpecialForm(request.POST or None, initial={"special": venue.is_special})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.set_special(venue, request.user, form.cleaned_data["special"],
                                     form.cleaned_data["reason"])
            except (Invalid, Forbidden) as exc:
                # The reason too long, or an officer of the directory who may not grant it:
                # on the form.
                form.add_error("reason" if exc.field == "reason" else None, str(exc.message))
            else:
                messages.success(request, _("Đã cập nhật quyền xem đầy đủ thông tin."))
                return redirect(reverse("venues:directory_detail", args=[venue.pk]))
    labels = services.area_labels([venue.area])
    return render(request, "venues/directory_detail.html", {
        "venue": venue, "address": services.address_line(venue, labels), "form": form,
        "may_grant": venue_access.may_supervise_venue(scope_of(request), venue,
                                                      *policy.SPECIAL_VENUES),
        "figures": services.today_figures([venue.pk])[venue.pk]}, status=status)
