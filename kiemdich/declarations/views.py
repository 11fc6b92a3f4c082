"""Declaration pages for citizens and the symptom-alert queue for health officers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts import policy
from kiemdich.accounts.requests import AuthedRequest
from kiemdich.accounts.scopes import scope_of
from kiemdich.core.error_codes import message_of
from kiemdich.core.errors import Conflict, Invalid
from kiemdich.core.masking import shape_for_officer
from kiemdich.declarations import services
from kiemdich.declarations.forms import ActionForm, DeclarationForm
from kiemdich.declarations.models import Declaration
from kiemdich.people.models import Person
from kiemdich.people.services import has_consent, is_complete
from kiemdich.people.views import person_or_404


def _gate(request: AuthedRequest, person: Person) -> HttpResponse | None:
    """Consent first, then a complete profile: where to send someone who cannot declare yet."""
    here = request.get_full_path()
    if not has_consent(request.user):
        return redirect(f"{reverse('people:consent')}?next={here}")
    if not is_complete(person):
        messages.info(request, message_of("profile_incomplete"))
        return redirect(f"{reverse('people:edit', args=[person.pk])}?next={here}")
    return None


@login_required
def declare(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = person_or_404(request, person_id)
    gate = _gate(request, person)
    if gate is not None:
        return gate
    last = services.last_declaration(person)
    form = DeclarationForm(request.POST or None,
                           initial=DeclarationForm.initial_from(services.prefill(person)))
    if request.method == "POST" and form.is_valid():
        language = "en" if (get_language() or "").startswith("en") else "vi"
        try:
            declaration = services.declare(person, request.user,
                                           {**form.cleaned_data, "language": language})
        except (Invalid, Conflict) as exc:
            # An answer refused, or consent withdrawn in another tab: on the form.
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            _thank(request, person, declaration)
            return redirect("home")
    may_renew = last is not None and not (last.has_symptoms or last.has_exposure)
    return render(request, "declarations/form.html",
                  {"form": form, "person": person, "last": last, "may_renew": may_renew},
                  status=422 if request.method == "POST" else 200)


def _thank(request: HttpRequest, person: Person, declaration: Declaration) -> None:
    if declaration.has_symptoms or declaration.has_exposure:
        messages.warning(request, _("Đã ghi nhận tờ khai của %(name)s. Trạm y tế địa phương sẽ "
                                    "liên hệ; hãy hạn chế tiếp xúc.") % {"name": person.full_name})
    else:
        messages.success(request, _("Đã khai báo cho %(name)s.") % {"name": person.full_name})


@login_required
@require_POST
def renew(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = person_or_404(request, person_id)
    gate = _gate(request, person)
    if gate is not None:
        return gate
    try:
        declaration = services.renew_unchanged(person, request.user)
    except (Invalid, Conflict) as exc:
        # Nothing to renew, or the last one had symptoms: the full form, with why.
        messages.error(request, str(exc.message))
        return redirect("declarations:declare", person_id=person.pk)
    _thank(request, person, declaration)
    return redirect("home")


@login_required
def alert_queue(request: AuthedRequest) -> HttpResponse:
    scope = scope_of(request)
    if not scope.has(*policy.ALERTS):
        raise Http404
    status = request.GET.get("status", "open")
    alerts = services.alerts_for(scope)
    if status != "all":
        alerts = alerts.filter(status=status)
    return render(request, "declarations/alerts.html", {
        "alerts": alerts[:200], "status": status,
        "statuses": [("open", _("Mới")), ("called", _("Đã gọi")), ("tested", _("Đã xét nghiệm")),
                     ("referred", _("Đã chuyển tuyến")), ("closed", _("Đã đóng")),
                     ("all", _("Tất cả"))],
    })


@login_required
def alert_detail(request: AuthedRequest, alert_id: int) -> HttpResponse:
    scope = scope_of(request)
    alert = services.visible_alert(scope, alert_id)
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.record_action(scope, alert.pk, form.cleaned_data["status"],
                               form.cleaned_data["note"])
        messages.success(request, _("Đã ghi nhận."))
        return redirect("alerts:detail", alert_id=alert.pk)
    contact = shape_for_officer(alert.person, request.user, scope,
                                reason=f"symptom_alert {alert.pk}")
    return render(request, "declarations/alert_detail.html", {
        "alert": alert, "contact": contact, "form": form,
        "declaration": alert.declaration, "actions": alert.actions.order_by("-at"),
    })
