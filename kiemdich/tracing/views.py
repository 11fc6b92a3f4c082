"""Health officers' pages: the case list, registering an F0, and a case's places, contacts,
zoning, notices and exports. Each view parses input, calls one service, renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts import policy
from kiemdich.accounts.ratelimit import rate_limited
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import Scope, scope_of
from kiemdich.areas.models import Area
from kiemdich.core.errors import Conflict, Forbidden, Invalid
from kiemdich.core.masking import shape_for_officer
from kiemdich.core.replica import replica_reads
from kiemdich.people.codes import CodeError
from kiemdich.tracing import exports, notices, pauses, services, zoning
from kiemdich.tracing.exports import recorded_by
from kiemdich.tracing.forms import RegisterCaseForm, WindowForm
from kiemdich.tracing.models import Case, CaseRequest, NoticeBatch

T = TypeVar("T")

# The page shows the top of the ranking; the exports and the API carry every contact.
PAGE_CONTACTS = 200


def _case_or_404(request: AuthedRequest, case_id: int, *, view: bool = False) -> Case:
    scope = scope_of(request)
    if view:
        return services.view_case(request.user, scope, case_id)
    return services.get_case(scope, case_id)


@login_required
@require_POST
@rate_limited("case-export", per_user=30, window=3600)
def export(request: AuthedRequest, case_id: int) -> HttpResponse:
    """The case's report (PDF or XLSX) started as a long task; its page offers the file."""
    case = _case_or_404(request, case_id)
    try:
        task = exports.start_case_report(request.user, case, request.POST.get("format", ""))
    except Invalid as exc:  # a format the buttons do not post: said on the case's page
        messages.error(request, exc.message)
        return redirect("tracing:detail", case_id=case.pk)
    return redirect("jobs:task", pk=task.pk)


@login_required
@replica_reads
def case_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    cases = services.list_cases(request.user, scope_of(request),
                                status if status in Case.Status.values else "")
    scope = scope_of(request)
    country, areas = pauses.pausable_areas(scope)
    return render(request, "tracing/case_list.html", {
        "cases": cases[:200], "status": status, "pauses": _pauses_shown(scope),
        "may_pause_country": country, "pausable_areas": areas,
        "my_requests": services.my_requests(request.user)[:50],
        "to_decide": [{"r": r, "person": shape_for_officer(
                           services.person_to_decide(r), request.user, scope,
                           reason=f"case request={r.pk}"),
                       "requested_by": pauses.officer_label(r.requested_by)}
                      for r in services.requests_to_decide(scope)[:50]],
    })


def _pauses_shown(scope: Scope) -> list[dict]:
    return [{"p": p, "may_resume": pauses.may_resume(scope, p)}
            for p in pauses.pauses_for(scope)]


@login_required
def register(request: AuthedRequest) -> HttpResponse:
    scope = scope_of(request)
    if not scope.has(*policy.TRACING):
        raise PermissionDenied
    form = RegisterCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.register_or_request(
                request.user, scope, {data["lookup"]: data["value"]},
                confirmed_at=data["confirmed_at"], onset_at=data["onset_at"],
                margin_minutes=data["margin_minutes"])
        except (Invalid, CodeError) as exc:  # the person's phone, ID or QR, or the dates
            form.add_error("value" if exc.field in ("person", "phone", "id_number", None)
                           else None, exc.message)
        else:
            if isinstance(made, CaseRequest):
                # Worded alike for a person of another area and for nobody known.
                messages.info(request, _("Người này không thuộc địa bàn của bạn, hoặc chưa có "
                                         "trong hệ thống. Đã gửi yêu cầu mở ca bệnh; cán bộ y "
                                         "tế nơi người này sống sẽ xem xét."))
                return redirect(f"{reverse('tracing:list')}#case-requests")
            messages.success(request, _("Đã đăng ký ca bệnh."))
            return redirect("tracing:detail", case_id=made.pk)
    return render(request, "tracing/register.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@replica_reads
def detail(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id, view=True)
    scope = scope_of(request)
    exp = services.exposures(request.user, case)
    top = exp.contacts[:PAGE_CONTACTS]
    people = services.shapes_for(request.user, scope, case, [c.person_id for c in top])
    communes = zoning.summary(exp)
    return render(request, "tracing/detail.html", {
        "case": case,
        "f0": services.people_by_id([case.person_id]).get(case.person_id),
        "visits": [{"row": v, "venue": exp.venues[v.venue_id], "recorded_by": recorded_by(v)}
                   for v in exp.visits],
        "contacts": [{"rank": i, "c": c, "person": people.get(c.person_id, {}),
                      "venue": exp.venues[c.main.venue_id]} for i, c in enumerate(top, 1)],
        "contact_total": len(exp.contacts),
        "communes": communes,
        # Built by zoning.map_svg from numbers and escaped names only.
        "map_svg": mark_safe(zoning.map_svg(communes)),  # noqa: S308
        "batches": case.batches.select_related("created_by", "approved_by"),
        "pauses": _pauses_shown(scope),
        "window_form": WindowForm(initial={
            "window_start": case.window_start, "window_end": case.window_end,
            "margin_minutes": case.margin_minutes}),
        "threshold": settings.TRACING_NOTICE_APPROVAL_THRESHOLD,
    })


def _act(request: HttpRequest, case_id: int, action: Callable[[], T],
         success: str | Callable[[T], str]) -> HttpResponse:
    """Run one service on a case, show its refusal or `success` (a text, or one made from
    the service's result), back to the case. Only what the officer can act on is shown
    there (bad input, a closed case or a paused area, another officer's approval needed);
    anything else goes to the pages' handler."""
    try:
        result = action()
    except (Invalid, Conflict, Forbidden) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect("tracing:detail", case_id=case_id)


@login_required
@require_POST
def edit_window(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    form = WindowForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Thời gian truy vết không hợp lệ."))
        return redirect("tracing:detail", case_id=case.pk)
    return _act(request, case.pk, lambda: services.update_case(
        request.user, scope_of(request), case, **form.cleaned_data), _("Đã cập nhật."))


@login_required
@require_POST
@rate_limited("notice-batch", per_user=30, window=3600)
def notify(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    chosen = [int(v) for v in request.POST.getlist("person_ids") if v.isdigit()]
    person_ids = chosen if request.POST.get("scope") != "all" else None
    return _act(request, case.pk, lambda: notices.create_batch(
        request.user, scope_of(request), case, person_ids), _batch_made)


def _batch_made(batch: NoticeBatch) -> str:
    if batch.status == batch.Status.PENDING:
        return _("Đợt thông báo đang chờ một cán bộ y tế khác phê duyệt: nó vượt quá %(n)s "
                 "thông báo trong 24 giờ của ca bệnh này hoặc của bạn.") % {
                     "n": settings.TRACING_NOTICE_APPROVAL_THRESHOLD}
    return _("Đã gửi thông báo.")


@login_required
@require_POST
def approve(request: AuthedRequest, batch_id: int) -> HttpResponse:
    scope = scope_of(request)
    batch = notices.get_batch(scope, batch_id)
    return _act(request, batch.case_id, lambda: notices.approve_batch(request.user, scope, batch),
                _("Đã phê duyệt và gửi thông báo."))


@login_required
@require_POST
def decide_request(request: AuthedRequest, request_id: int) -> HttpResponse:
    approve = request.POST.get("decision") == "approve"
    try:
        made = services.decide_request(request.user, scope_of(request), request_id,
                                       approve=approve)
    except Forbidden as exc:  # one's own request: said on the list, beside it
        messages.error(request, exc.message)
        return redirect(f"{reverse('tracing:list')}#case-requests")
    if made.case_id:
        messages.success(request, _("Đã phê duyệt: ca bệnh đã được mở."))
        return redirect("tracing:detail", case_id=made.case_id)
    messages.success(request, _("Đã từ chối yêu cầu."))
    return redirect(f"{reverse('tracing:list')}#case-requests")


@login_required
@require_POST
def close(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    return _act(request, case.pk, lambda: services.close_case(request.user, case),
                _("Đã đóng ca bệnh."))


@login_required
@require_POST
def f2(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    chosen = [int(v) for v in request.POST.getlist("person_ids") if v.isdigit()]
    try:
        rings = services.expand_f2(request.user, case, chosen)
    except Invalid as exc:  # nobody chosen, or someone not a contact: said on the case's page
        messages.error(request, exc.message)
        return redirect("tracing:detail", case_id=case.pk)
    ids = {c.person_id for r in rings for c in r.contacts} | {r.via.person_id for r in rings}
    people = services.shapes_for(request.user, scope_of(request), case, sorted(ids))
    return render(request, "tracing/f2.html", {"case": case, "rings": [
        {"via": people.get(r.via.person_id, {}), "contacts": [
            {"c": c, "person": people.get(c.person_id, {})} for c in r.contacts]}
        for r in rings]})


@login_required
@require_POST
@rate_limited("notice-pause", per_user=30, window=3600)
def pause(request: AuthedRequest) -> HttpResponse:
    # The page posts the area's id: official codes repeat across levels.
    chosen = request.POST.get("area", "")
    area = Area.objects.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    if chosen and area is None:
        raise Http404
    return _act_on_pauses(request, lambda: pauses.pause(
        request.user, scope_of(request), area, request.POST.get("reason")),
        _("Đã tạm dừng thông báo ở địa bàn đã chọn."))


@login_required
@require_POST
@rate_limited("notice-pause", per_user=30, window=3600)
def resume(request: AuthedRequest, pause_id: int) -> HttpResponse:
    return _act_on_pauses(request, lambda: pauses.resume(
        request.user, scope_of(request), pause_id, request.POST.get("reason")),
        _("Đã bật lại thông báo."))


def _act_on_pauses(request: HttpRequest, action: Callable[[], object], success: str
                   ) -> HttpResponse:
    if not scope_of(request).has(*policy.TRACING):
        raise PermissionDenied
    try:
        action()
    except (Invalid, Conflict, Forbidden) as exc:
        # The reason missing, an area already paused or resumed, one out of reach or one's
        # own pause to resume: said on the list, beside the switch.
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(f"{reverse('tracing:list')}#notice-switch")


@login_required
@require_POST
def read_notice(request: AuthedRequest, notice_id: int) -> HttpResponse:
    notices.mark_read(request.user, notice_id)
    return redirect("/#exposure-notices")
