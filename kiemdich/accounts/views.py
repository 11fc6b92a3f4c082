"""Portal login by phone + one-time code, logout, and the home page of each role."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kiemdich.accounts import otp
from kiemdich.accounts.forms import CodeForm, PhoneForm
from kiemdich.accounts.otp import OtpExpired, OtpInvalid
from kiemdich.accounts.phones import national_form, normalize_phone
from kiemdich.accounts.ratelimit import client_ip
from kiemdich.accounts.scopes import scope_of
from kiemdich.core.errors import Invalid, RateLimited


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


def login_view(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number. Step 2 (code) is shown once a code was sent."""
    next_url = _next_url(request)
    if request.method == "POST" and "code" in request.POST:
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                user = otp.verify_code(code_form.cleaned_data["phone"],
                                       code_form.cleaned_data["code"], client_ip(request))
            except (OtpInvalid, OtpExpired, RateLimited, Invalid) as exc:
                # The phone refused, a wrong, expired or worn-out code, or too many tries:
                # the code's form again, with why (a person types it; no page of its own).
                code_form.add_error("code", exc.message)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(next_url)
        return render(request, "accounts/login_code.html",
                      {"form": code_form, "next": next_url,
                       "phone_display": national_form(request.POST.get("phone", ""))},
                      status=400)
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            otp.request_code(form.cleaned_data["phone"], client_ip(request))
        except (Invalid, RateLimited) as exc:  # the phone refused, or codes sent too often
            form.add_error("phone", exc.message)
        else:
            phone = normalize_phone(form.cleaned_data["phone"])
            return render(request, "accounts/login_code.html",
                          {"form": CodeForm(initial={"phone": phone}), "next": next_url,
                           "phone_display": national_form(phone)})
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/login.html", {"form": form, "next": next_url},
                  status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)  # flushes the session: the old session id is worthless
    return redirect("/")


def home(request: HttpRequest) -> HttpResponse:
    """The welcome page for visitors; for a logged-in account, one section per role it holds
    (each app renders its own section)."""
    if not request.user.is_authenticated:
        return render(request, "accounts/welcome.html")
    return render(request, "accounts/home.html", {"scope": scope_of(request)})
