"""The authorities' portal pages (dashboard, coverage, compliance, inspections, daily report)
and the public progress page. Thin: parse, call a service, render."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts import policy
from kiemdich.accounts.models import Sector
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import Scope, scope_of
from kiemdich.areas import services as area_services
from kiemdich.areas.models import Area
from kiemdich.areas.picker import picker
from kiemdich.core import clock
from kiemdich.core.caching import soft_cache
from kiemdich.core.errors import Busy, Invalid, NotFound, TooLarge
from kiemdich.core.middleware import upload_view
from kiemdich.core.replica import replica_reads
from kiemdich.jobpages.views import start_export
from kiemdich.jobs import tasks
from kiemdich.people.codes import CodeError
from kiemdich.reports import (
    archive,
    charts,
    compliance,
    coverage,
    daily,
    imports,
    inspection_document,
    inspections,
    lists,
)
from kiemdich.reports import stats as stats_service
from kiemdich.reports.forms import ImportForm, InspectionForm, SubscriptionForm
from kiemdich.reports.jobs import COMPLIANCE_EXPORT, COVERAGE_EXPORT, INSPECTIONS_EXPORT
from kiemdich.reports.models import Inspection, ViolationCategory
from kiemdich.scans.services import decode_photo

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SORTABLE = ("name", *stats_service.FIGURES)


def _query(request: HttpRequest, roles: tuple[str, ...] = policy.STATISTICS
           ) -> stats_service.StatsQuery:
    """The filters of the URL checked against the viewer's reach; outside it is a 404."""
    scope = scope_of(request)
    if not scope.has(*roles):
        raise Http404
    return lists.query_of(scope, request.GET)


def _breadcrumb(request: HttpRequest, area: Area) -> list[Area]:
    scope = scope_of(request)
    return [a for a in area.ancestors()
            if scope.sector_reach(a, *policy.STATISTICS) is not None]


def _sectors(request: HttpRequest) -> list[tuple[str, StrOrPromise]]:
    """The sector filter's choices: only sectors the viewer may open."""
    return scope_of(request).sector_choices(*policy.STATISTICS)


def _sorted_rows(rows: list, sort: str) -> list:
    key = sort.lstrip("-")
    if key not in SORTABLE:
        return rows
    if key == "name":
        return sorted(rows, key=lambda r: lists.name_key(r.area.name), reverse=sort.startswith("-"))
    return sorted(rows, key=lambda r: r.figures[key], reverse=sort.startswith("-"))


def _invalid_page(request: HttpRequest, exc: Invalid, template: str) -> HttpResponse:
    """A filter of the URL refused (a date, an area, a sector): the page again, without
    figures, its filters to correct and the refusal above them."""
    return render(request, template, {"error": exc.message}, status=exc.status)


@login_required
@replica_reads
def dashboard(request: AuthedRequest) -> HttpResponse:
    try:
        query = _query(request)
    except Invalid as exc:
        return _invalid_page(request, exc, "reports/dashboard.html")
    result = stats_service.compute(query)
    sort = request.GET.get("sort", "")
    rows = _sorted_rows(result.rows, sort)
    params = request.GET.copy()
    bar_items = []
    for row in rows:
        params["area"] = row.area.code
        bar_items.append((row.area.name, row.figures["scans_in"], f"?{params.urlencode()}"))
    bars, bars_height = charts.bars(bar_items)
    trend = charts.trend(result.trend, [("scans_in", _("Lượt vào"), "s-in"),
                                        ("declarations", _("Tờ khai"), "s-decl"),
                                        ("venues_active", _("Địa điểm có quét"), "s-active")])
    labels = daily.figure_labels()
    return render(request, "reports/dashboard.html", {
        "stats": result, "query": query, "rows": rows, "sort": sort,
        "totals": [(labels[k], result.totals[k], k) for k in stats_service.FIGURES],
        "columns": [(k, labels[k]) for k in stats_service.FIGURES],
        "breadcrumb": _breadcrumb(request, query.area),
        "by_type": daily.type_rows(result),
        "trend": trend, "bars": bars, "bars_height": bars_height,
        "sectors": _sectors(request), "today": clock.today(),
        "sector_label": dict(Sector.choices).get(query.sector, ""),
        "week_ago": clock.today() - timedelta(days=6),
        "month_ago": clock.today() - timedelta(days=29),
    })


@login_required
@replica_reads
def report(request: AuthedRequest, fmt: str) -> HttpResponse:
    try:
        query = _query(request)
    except Invalid as exc:
        return _invalid_page(request, exc, "reports/dashboard.html")
    result = stats_service.compute(query)
    if fmt == "pdf":
        body, content_type = daily.pdf(daily.build(result)), "application/pdf"
    else:
        body = daily.xlsx(daily.build(result))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{daily.filename(result, fmt)}"'
    return response


@login_required
@replica_reads
def coverage_page(request: AuthedRequest) -> HttpResponse:
    try:
        query = _query(request)
    except Invalid as exc:
        return _invalid_page(request, exc, "reports/coverage.html")
    # As of the chosen day (today unless date_to says otherwise), as the daily report.
    today = query.date_to
    sort = request.GET.get("sort", "")
    if request.method == "POST":
        # The file holds the page's table, in the page's order (made by a worker).
        return start_export(request, COVERAGE_EXPORT, _("Bảng độ bao phủ %(area)s") % {
            "area": query.area.name})
    rows = lists.coverage_rows(query, sort)
    return render(request, "reports/coverage.html", {
        "query": query, "breadcrumb": _breadcrumb(request, query.area),
        "figures": coverage.coverage(query.area, query.sectors, today),
        "rows": rows, "sort": sort,
        "columns": list(zip(lists.COVERAGE_SORTS, daily.area_headers(), strict=True)),
        "form": ImportForm(scope=scope_of(request)), "sectors": _sectors(request),
        "may_import": scope_of(request).has(*policy.IMPORTS),
        "tasks": tasks.recent(request.user, [imports.KIND]),
    })


@login_required
@upload_view
@require_POST
def import_csv(request: AuthedRequest) -> HttpResponse:
    """Store the file and queue its import; the task's page shows the progress."""
    scope = scope_of(request)
    if not scope.has(*policy.IMPORTS):
        raise Http404
    form = ImportForm(request.POST, request.FILES, scope=scope)
    if form.is_valid():
        data = form.cleaned_data
        try:
            task = imports.start_upload(
                scope, request.user, data["kind"], data["file"],
                all_or_nothing=data["all_or_nothing"], organisation=data["organisation"],
                organisation_area=data["organisation_area"],
                organisation_sector=data["organisation_sector"])
        except (Invalid, NotFound) as exc:
            # The file's encoding or columns, or the organisation's fields (an area out of
            # reach among them): said on the form, beside the field.
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("jobs:task", pk=task.pk)
    return render(request, "reports/import_form.html", {"form": form}, status=422)


@login_required
def compliance_page(request: AuthedRequest) -> HttpResponse:
    try:
        query = _query(request)
        days = compliance.parse_days(request.GET.get("days"))
    except Invalid as exc:
        return _invalid_page(request, exc, "reports/compliance.html")
    if request.method == "POST":
        kind = request.GET.get("kind", "establishments")
        kinds = lists.compliance_kinds()
        return start_export(request, COMPLIANCE_EXPORT,
                            f"{kinds.get(kind, kinds['establishments'])} · {query.area.name}")
    listing = lists.compliance_listing(request.user, query, request.GET)
    return render(request, "reports/compliance.html", {
        "query": query, "kind": listing.kind, "days": days, "headers": listing.headers,
        "rows": listing.rows, "breadcrumb": _breadcrumb(request, query.area),
        "kinds": list(lists.compliance_kinds().items()), "sectors": _sectors(request),
    })


@login_required
def inspection_list(request: AuthedRequest) -> HttpResponse:
    scope = scope_of(request)
    if not scope.has(*policy.INSPECTION_READ):
        raise Http404
    try:
        filters = lists.inspection_filter(request.GET)
        visible = inspections.visible(scope, filters)
        if request.method == "POST":
            return start_export(request, INSPECTIONS_EXPORT, _("Các lần kiểm tra"))
        items = list(visible[:lists.INSPECTIONS_SHOWN])
    except Invalid as exc:
        return _invalid_page(request, exc, "reports/inspections.html")
    return render(request, "reports/inspections.html", {
        "items": items, "filters": filters, "results": Inspection.Result.choices,
        "violations": ViolationCategory.objects.filter(active=True),
        "area_picker": picker("area", scope.visible_areas(*policy.INSPECTION_READ),
                              filters.area_code, blank=_("Tất cả"), attrs={"id": "i-area"}),
        "may_record": scope.has(*policy.INSPECTION_RECORD),
    })


def _recorder_scope(request: HttpRequest) -> Scope:
    scope = scope_of(request)
    if not scope.has(*policy.INSPECTION_RECORD):
        raise Http404
    return scope


@login_required
def inspection_new(request: AuthedRequest) -> HttpResponse:
    """The inspection form: the venue found by name or code (or a photo of its poster), or an
    unregistered establishment, or a person who did not declare; the article's fine bracket
    shown before submitting."""
    scope = _recorder_scope(request)
    today = clock.today()
    initial = {"venue_code": request.GET.get("venue", ""),
               # The person search (without script, a GET of person_q) keeps its subject.
               "subject": Inspection.Subject.PERSON if request.GET.get("person_q")
               else request.GET.get("subject", Inspection.Subject.VENUE),
               "establishment": request.GET.get("establishment", ""),
               "roster_member": request.GET.get("member", ""),
               "inspected_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = InspectionForm(request.POST or None, initial=initial,
                          establishments=inspections.unregistered_in_scope(scope))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = inspections.record(scope, request.user, inspections.InspectionInput(
                subject=data["subject"] or Inspection.Subject.VENUE,
                venue_code=data["venue_code"],
                establishment_reg_no=data["establishment"],
                roster_member_id=data["roster_member"], inspected_at=data["inspected_at"],
                poster_displayed=data["poster_displayed"],
                scanning_enforced=data["scanning_enforced"],
                staff_declared=data["staff_declared"], result=data["result"],
                violation_code=data["violation"].code if data["violation"] else "",
                fine=data["fine"], notes=data["notes"]))
        except (Invalid, NotFound) as exc:
            # A field refused, or the venue, establishment or person it names not found in
            # the inspector's reach: said on the form, beside the field.
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Đã lưu biên bản số %(n)s.") % {"n": inspection.pk})
            return redirect("reports:inspections")
    q, person_q = request.GET.get("q", ""), request.GET.get("person_q", "")
    member_id = form["roster_member"].value()
    status = 422 if request.method == "POST" else 200
    return render(request, "reports/inspection_form.html", {
        "form": form, "q": q, "found": inspections.search_venues(scope, q),
        "person_q": person_q, "people": _people_found(scope, person_q, today),
        "chosen_person": inspections.chosen_person(
            scope, int(member_id) if str(member_id or "").isdigit() else None, today),
    }, status=status)


def _people_found(scope: Scope, q: str, today: date) -> list[dict]:
    full = inspections.sees_people_in_full(scope)
    return [inspections.person_label(m, full=full)
            for m in inspections.search_undeclared(scope, q, today)]


@login_required
def inspection_people(request: AuthedRequest) -> HttpResponse:
    """The undeclared people a search names, as links that put the person on the form."""
    scope = _recorder_scope(request)
    q = request.GET.get("person_q", "")
    return render(request, "reports/_inspection_people.html",
                  {"person_q": q, "people": _people_found(scope, q, clock.today())})


@login_required
def inspection_venues(request: AuthedRequest) -> HttpResponse:
    """The venues a search names, as links that put the venue on the form (htmx swaps them
    in while typing; without script the form's own search shows the same list)."""
    scope = _recorder_scope(request)
    q = request.GET.get("q", "")
    return render(request, "reports/_inspection_venues.html",
                  {"q": q, "found": inspections.search_venues(scope, q)})


@login_required
@require_POST
def inspection_photo(request: AuthedRequest) -> HttpResponse:
    """A photo of the poster (a phone's camera): its QR decoded, the form opened on it."""
    _recorder_scope(request)
    photo = request.FILES.get("photo")
    try:
        if photo is None:
            raise Invalid(code="photo_missing", field="photo")
        text = decode_photo(photo.read())
    except (Invalid, CodeError, TooLarge, Busy) as exc:
        # No photo, no code in it, too large, or the decoder busy: the form says so and
        # takes the code typed or another photo.
        messages.error(request, exc.message)
        return redirect("reports:inspection_new")
    return redirect(f"{reverse('reports:inspection_new')}?{urlencode({'venue': text})}")


@login_required
def inspection_record(request: AuthedRequest, pk: int) -> HttpResponse:
    """The inspection's record (biên bản) as a printable PDF."""
    scope = scope_of(request)
    if not scope.has(*policy.INSPECTION_READ):
        raise Http404
    inspection = inspections.for_printing(scope, request.user, pk)
    response = HttpResponse(inspection_document.pdf(inspection), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-ban-{inspection.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def daily_reports(request: AuthedRequest) -> HttpResponse:
    """The archive of daily reports within the viewer's areas, and the areas' e-mail
    subscriptions (the job reports.daily sends them each morning)."""
    scope = scope_of(request)
    if not scope.has(*policy.STATISTICS):
        raise Http404
    form = SubscriptionForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            archive.subscribe(scope, request.user, form.cleaned_data["area"],
                              form.cleaned_data["emails"])
        except (Invalid, NotFound) as exc:  # the addresses, or an area out of reach: on the form
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("reports:daily")
    return render(request, "reports/daily.html", {
        "form": form, "subscriptions": archive.subscriptions_for(scope),
        "reports": archive.reports_for(scope)[:200]},
        status=422 if request.method == "POST" else 200)


@login_required
@require_POST
def daily_unsubscribe(request: AuthedRequest, pk: int) -> HttpResponse:
    archive.unsubscribe(scope_of(request), pk)
    return redirect("reports:daily")


@login_required
def daily_file(request: AuthedRequest, pk: int, fmt: str) -> HttpResponse:
    report = archive.report_of(scope_of(request), pk)
    content_type = "application/pdf" if fmt == "pdf" else archive.XLSX
    response = HttpResponse(bytes(getattr(report, fmt)), content_type=content_type)
    response["Content-Disposition"] = (f'attachment; filename="bao-cao-{report.area.code}-'
                                       f'{report.day.isoformat()}.{fmt}"')
    return response


PUBLIC_CACHE_SECONDS = 60


def progress(request: HttpRequest) -> HttpResponse:
    """Public, no login: each province's registered venues, declarations today, coverage."""
    provinces = area_services.provinces()
    code = request.GET.get("area", "")
    # Without a choice, the deployment's home province (HOME_AREA; listed first).
    province = next((p for p in provinces if p.code == code), None) or \
        (provinces[0] if provinces else None)
    context: dict = {"provinces": provinces, "province": province}
    if province is not None:
        # The labels are cached translated: one entry per language.
        key = f"reports:progress:{province.pk}:{clock.today()}:{get_language()}"
        # Only an accelerator: without Redis the figures are computed (kiemdich.core.caching).
        context.update(soft_cache.get(key) or {})
        if "totals" not in context:
            today = clock.today()
            query = stats_service.StatsQuery(province, today, today, None)
            result = stats_service.compute(query, with_details=False)
            computed = {"totals": result.totals, "rows": result.rows,
                        "figures": coverage.coverage(province, None, today)[:2],
                        "refreshed_at": result.refreshed_at}
            soft_cache.set(key, computed, PUBLIC_CACHE_SECONDS)
            context.update(computed)
    return render(request, "reports/progress.html", context)

