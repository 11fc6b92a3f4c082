"""Portal pages: one's own data and rights, the audit trail search, the abuse flags."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts import policy
from kiemdich.accounts.ratelimit import rate_limited
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import scope_of
from kiemdich.core.audit import record
from kiemdich.core.errors import Conflict
from kiemdich.jobpages.views import start_export
from kiemdich.people.cards import pdf_response
from kiemdich.people.models import Person
from kiemdich.privacy import abuse, audit, own_data, services
from kiemdich.privacy.forms import AuditSearchForm, ConfirmForm
from kiemdich.privacy.jobs import AUDIT_EXPORT
from kiemdich.venues.models import Venue

AUDIT_PAGE_SIZE = 50


@login_required
def my_data(request: AuthedRequest) -> HttpResponse:
    return render(request, "privacy/my_data.html", {
        "people": Person.objects.filter(account=request.user).order_by("-is_self", "pk"),
        "consents": services.consents_of(request.user),
        "deletion": services.pending_deletion(request.user),
    })


@login_required
@rate_limited("own-data-export", per_user=20, window=3600)
def my_data_json(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(own_data.export_json(request.user),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="du-lieu-cua-toi.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@rate_limited("own-data-export", per_user=20, window=3600)
def my_data_pdf(request: AuthedRequest) -> HttpResponse:
    return pdf_response(own_data.export_pdf(request.user), "du-lieu-cua-toi.pdf")


@login_required
@rate_limited("page-delete", per_ip=30, per_user=10, window=3600)
def delete_account(request: AuthedRequest) -> HttpResponse:
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            status = services.request_deletion(request.user)
        except Conflict as exc:  # an app holds the account back (it owns venues): says why
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã nhận yêu cầu xóa tài khoản; việc xóa hoàn tất "
                                        "trong 72 giờ."))
            if status.held_people:
                messages.warning(request, _("Một số lượt ra vào đang phục vụ truy vết một ca "
                                            "bệnh chưa đóng nên được giữ lại đến khi ca bệnh "
                                            "đóng."))
            return redirect("privacy:my_data")
    return render(request, "privacy/delete_account.html",
                  {"form": form, "deletion": services.pending_deletion(request.user)},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
@rate_limited("page-consent", per_ip=60, per_user=10, window=3600)
def withdraw_consent(request: AuthedRequest) -> HttpResponse:
    withdrawn, _at = services.withdraw_consent(request.user)
    if withdrawn:
        messages.success(request, _("Đã rút lại sự đồng ý xử lý dữ liệu cá nhân."))
    else:
        messages.info(request, _("Không có sự đồng ý nào đang hiệu lực."))
    return redirect("privacy:my_data")


@login_required
def audit_search(request: AuthedRequest) -> HttpResponse:
    scope = scope_of(request)
    if not scope.has(*policy.OVERSIGHT):
        raise PermissionDenied
    form = AuditSearchForm(request.GET or None)
    entries = audit.search(**form.cleaned_data) if form.is_valid() else audit.search()
    if form.is_bound and not form.is_valid():
        entries = entries.none()
    if request.method == "POST" and not (form.is_bound and not form.is_valid()):
        record(request.user, "audit_exported", target="privacy.auditentry",
                     reason=request.GET.urlencode()[:500])
        # The file holds the trail as it was now, not the entries written after.
        return start_export(request, AUDIT_EXPORT, _("Nhật ký truy cập"),
                            upto=audit.search().values_list("pk", flat=True).first())
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "privacy/audit.html", {
        "form": form, "page": page, "actions": audit.actions(), "query": query.urlencode(),
    })


@login_required
def flags(request: AuthedRequest) -> HttpResponse:
    scope = scope_of(request)
    if not scope.has(*policy.ABUSE_FLAGS):
        raise PermissionDenied
    page = Paginator(abuse.flags_for(scope), 50) \
        .get_page(request.GET.get("page"))

    venues = Venue.objects.in_bulk([f.venue_id for f in page])
    return render(request, "privacy/flags.html",
                  {"page": page, "rows": [(f, venues.get(f.venue_id)) for f in page]})
