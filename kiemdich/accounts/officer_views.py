"""Pages for admins to manage authority accounts (kiemdich.accounts.officers does the work):
the list within their areas, a new account, a roster import, and one account with its roles,
where disabling and logging out everywhere ask for confirmation first."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kiemdich.accounts import officers
from kiemdich.accounts.forms import GrantForm, OfficerForm, RosterForm
from kiemdich.accounts.models import Grant
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import Scope, scope_of
from kiemdich.areas.picker import area_key
from kiemdich.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from kiemdich.jobs import tasks


def _admin_scope(request: HttpRequest) -> Scope:
    scope = scope_of(request)
    if not officers.is_account_admin(scope):
        raise Http404
    return scope


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A change refused (out of the admin's reach, one's own account, already so): said,
    with its code and status, and the way back to the list. An account or grant not found
    is the pages' handler's (404)."""
    return render(request, "refused.html", {
        "code": exc.code, "message": exc.message, "back_url": reverse("accounts:officers"),
        "back_label": _("Tài khoản cán bộ")}, status=exc.status)


@login_required
def officer_list(request: AuthedRequest) -> HttpResponse:
    scope = _admin_scope(request)
    phone = request.GET.get("phone", "")
    return render(request, "accounts/officers.html", {
        "accounts": officers.accounts(scope, phone)[:300], "phone": phone,
    })


@login_required
def officer_new(request: AuthedRequest) -> HttpResponse:
    scope = _admin_scope(request)
    form = OfficerForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = officers.create(scope, data["phone"], data["role"], data["area_code"],
                                    data["sector"], data["display_name"])
        except (Invalid, NotFound, Forbidden, Conflict) as exc:
            # A field refused, an area unknown or out of reach, the role already held: on
            # the form.
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            form.error_code = exc.code
        else:
            messages.success(request, _("Đã cấp quyền cho %(phone)s.") % {
                "phone": grant.user.phone})
            return redirect("accounts:officer", user_id=grant.user_id)
    return render(request, "accounts/officer_new.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


@login_required
def officer_import(request: AuthedRequest) -> HttpResponse:
    scope = _admin_scope(request)
    form = RosterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            # Any size: stored now (its encoding and columns checked), imported by a worker;
            # the task's page follows it and lists the bad rows.
            task = officers.start_roster_import(scope, request.user,
                                                upload.chunks(tasks.PIECE_BYTES), upload.name)
        except Invalid as exc:  # the file's encoding or columns: beside the file
            form.add_error("file", exc.message)
            form.error_code = exc.code
        else:
            return redirect("jobs:task", pk=task.pk)
    return render(request, "accounts/officer_import.html",
                  {"form": form, "columns": officers.IMPORT_COLUMNS,
                   "recent": tasks.recent(request.user, [officers.ROSTER_TASK], limit=5)},
                  status=200 if request.method == "GET" else 422)


@login_required
def officer_detail(request: AuthedRequest, user_id: int) -> HttpResponse:
    scope = _admin_scope(request)
    account = officers.account(scope, user_id)
    grants = list(account.grants.all())
    forms = [(g, GrantForm(initial={"role": g.role, "sector": g.sector,
                                    "area_code": area_key(g.area) if g.area else ""},
                           prefix=f"g{g.pk}", scope=scope)) for g in grants]
    return render(request, "accounts/officer_detail.html", {
        "account": account, "forms": forms,
        "manageable": scope.may_manage_account(account, grants),
    })


@login_required
@require_POST
def grant_edit(request: AuthedRequest, grant_id: int) -> HttpResponse:
    scope = _admin_scope(request)
    form = GrantForm(request.POST, prefix=f"g{grant_id}", scope=scope)
    if not form.is_valid():
        return _refused(request, Invalid())
    try:
        grant = officers.change_grant(scope, grant_id, form.cleaned_data["role"],
                                      form.cleaned_data["area_code"], form.cleaned_data["sector"])
    except (Invalid, Forbidden, Conflict) as exc:
        return _refused(request, exc)
    messages.success(request, _("Đã đổi quyền."))
    return redirect("accounts:officer", user_id=grant.user_id)


# Actions that end access: a GET shows what will happen and asks; the POST does it.
ACTIONS = {
    "disable": (officers.disable, gettext_lazy("Vô hiệu hóa tài khoản"),
                gettext_lazy("Tài khoản không đăng nhập được nữa; mọi phiên đăng nhập và mã "
                             "API của nó bị thu hồi ngay."),
                gettext_lazy("Đã vô hiệu hóa tài khoản.")),
    "enable": (officers.enable, gettext_lazy("Mở lại tài khoản"),
               gettext_lazy("Tài khoản đăng nhập lại được bằng mã gửi qua SMS."),
               gettext_lazy("Đã mở lại tài khoản.")),
    "sessions": (officers.revoke_sessions, gettext_lazy("Đăng xuất khỏi mọi nơi"),
                 gettext_lazy("Mọi phiên đăng nhập và mã API của tài khoản bị thu hồi ngay; "
                              "tài khoản vẫn đăng nhập lại được."),
                 gettext_lazy("Đã thu hồi mọi phiên đăng nhập và mã API.")),
    "revoke": (officers.revoke_grant, gettext_lazy("Thu hồi quyền"),
               gettext_lazy("Tài khoản mất vai trò này ngay."), gettext_lazy("Đã thu hồi quyền.")),
}


@login_required
def officer_action(request: AuthedRequest, user_id: int, action: str,
                   grant_id: int | None = None) -> HttpResponse:
    scope = _admin_scope(request)
    if action not in ACTIONS or (action == "revoke") != (grant_id is not None):
        raise Http404
    run, title, explanation, done = ACTIONS[action]
    account = officers.account(scope, user_id)
    grant = get_object_or_404(Grant, pk=grant_id, user=account) if grant_id else None
    if request.method == "POST":
        try:
            run(scope, grant.pk if grant else account.pk)
        except (Forbidden, Conflict) as exc:
            return _refused(request, exc)
        messages.success(request, done)
        return redirect("accounts:officer", user_id=account.pk)
    return render(request, "accounts/officer_confirm.html", {
        "account": account, "grant": grant, "title": title, "explanation": explanation,
        "destructive": action != "enable",
    })
