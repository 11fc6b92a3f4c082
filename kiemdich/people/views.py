"""Citizen pages: profiles and dependants, the QR code, printed cards, consent, own data."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts.requests import AuthedRequest
from kiemdich.areas.models import Area
from kiemdich.areas.services import home_province
from kiemdich.core.errors import Conflict, Invalid
from kiemdich.people import services
from kiemdich.people.cards import (
    card_pdf_for,
    cards_pdf_for,
    format_serial,
    pdf_response,
    qr_svg,
)
from kiemdich.people.declared import declared_today
from kiemdich.people.forms import PersonForm, commune_choices
from kiemdich.people.models import Person


def person_or_404(request: AuthedRequest, person_id: int) -> Person:
    """A person the logged-in account manages; any other id is simply not found."""
    return services.managed_person(request.user, person_id)


def _province_of(person: Person | None) -> Area | None:
    """The person's province; for someone not placed yet, the deployment's home province."""
    if person is None or person.area is None:
        return home_province()
    ancestors = person.area.ancestors()
    return ancestors[0] if ancestors else None


def _save_person(request: AuthedRequest, form: PersonForm, person: Person | None) -> Person | None:
    """Hand the form to the service; its refusals land on the field they name."""
    data = {k: v for k, v in form.cleaned_data.items() if k != "province"}
    try:
        if person is None:
            return services.add_dependant(request.user, data)
        return services.update_person(request.user, person, data)
    except (Invalid, Conflict) as exc:  # a field refused, an ID number taken, the family full
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc.message))
        return None


def _next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@login_required
def add_person(request: AuthedRequest) -> HttpResponse:
    me = services.self_person(request.user)
    form = PersonForm(request.POST or None, province=_province_of(me),
                      initial={"street": me.street, "area_code": me.area.code if me.area
                               else "", "province": getattr(_province_of(me), "code", "")})
    if request.method == "POST" and form.is_valid():
        person = _save_person(request, form, None)
        if person is not None:
            messages.success(request, _("Đã thêm %(name)s.") % {"name": person.full_name})
            return redirect("home")
    return render(request, "people/person_form.html", {"form": form, "person": None},
                  status=400 if request.method == "POST" else 200)


@login_required
def edit_person(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = person_or_404(request, person_id)
    data = services.person_data(person)
    province = _province_of(person)
    form = PersonForm(request.POST or None, province=province, is_self=person.is_self,
                      initial={**data, "province": getattr(province, "code", "")})
    saved = request.method == "POST" and form.is_valid() and _save_person(request, form, person)
    if saved:
        messages.success(request, _("Đã lưu hồ sơ."))
        return redirect(_next(request, "/"))
    return render(request, "people/person_form.html",
                  {"form": form, "person": person, "next": _next(request, "")},
                  status=400 if request.method == "POST" else 200)


@login_required
def communes(request: AuthedRequest) -> HttpResponse:
    """The <option>s of a province's communes, for the profile form's second select."""
    province = Area.objects.filter(parent__isnull=True,
                                   code=request.GET.get("province", "")).first()
    return render(request, "people/_commune_options.html",
                  {"choices": commune_choices(province)})


@login_required
def qr_page(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = person_or_404(request, person_id)
    payload, expires_at = services.app_code(person)
    declared, sick = declared_today([person.pk])[person.pk]
    # Reload at the code's expiry or at local midnight (the badge is about "today").
    today = timezone.localdate()
    midnight = timezone.make_aware(datetime.combine(today + timedelta(days=1), time()))
    return render(request, "people/qr.html", {
        "person": person, "svg": qr_svg(payload), "expires_at": expires_at,
        "declared": declared, "sick": sick, "today": today,
        "refresh_at": min(expires_at, midnight),
    })


@login_required
def card_page(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = person_or_404(request, person_id)
    if request.method == "POST":
        return pdf_response(card_pdf_for(request.user, person), f"the-qr-ca-nhan-{person.pk}.pdf")
    cards = [(c, format_serial(c.serial)) for c in services.cards_of(person)]
    return render(request, "people/card.html", {"person": person, "cards": cards,
                                                "now": timezone.now()})


@login_required
@require_POST
def family_cards(request: AuthedRequest) -> HttpResponse:
    """Cards for everyone of the family with a complete profile, in one PDF (ten a sheet)."""
    people = [p for p in services.people_of(request.user) if services.is_complete(p)]
    if not people:
        raise Http404(_("Chưa có ai đủ hồ sơ để in thẻ."))
    return pdf_response(cards_pdf_for(request.user, people), "the-qr-ca-nhan-gia-dinh.pdf")


@login_required
@require_POST
def revoke_card(request: AuthedRequest, person_id: int, serial: int) -> HttpResponse:
    person = person_or_404(request, person_id)
    services.revoke_card(request.user, person, serial, "lost")
    messages.success(request, _("Đã thu hồi thẻ %(serial)s.") % {"serial": format_serial(serial)})
    return redirect("people:card", person_id=person.pk)


@login_required
def consent(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.give_consent(request.user, request.POST.get("version", ""))
        except Invalid as exc:  # terms changed while the page was open: the new ones, with why
            messages.error(request, str(exc.message))
        else:
            return redirect(_next(request, "/"))
    return render(request, "people/consent.html", {
        "version": services.CONSENT_VERSION, "consent": services.current_consent(request.user),
        "next": _next(request, "/"),
    })


@login_required
def my_data(request: AuthedRequest) -> HttpResponse:
    return render(request, "people/my_data.html", {
        "people": services.people_of(request.user),
        "consent": services.current_consent(request.user),
    })
