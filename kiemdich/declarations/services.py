"""Health declarations, "declared today", and the symptom alerts routed to health officers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import Role, User
from kiemdich.accounts.scopes import Scope, holders_at, holders_covering
from kiemdich.accounts.sms import send_sms
from kiemdich.areas.models import Area
from kiemdich.core.audit import record
from kiemdich.core.clock import local_day
from kiemdich.core.errors import Conflict, Invalid, NotFound
from kiemdich.declarations.models import (
    EXPOSURES,
    SYMPTOMS,
    AlertAction,
    Declaration,
    SymptomAlert,
)
from kiemdich.people.models import Person
from kiemdich.people.services import is_complete, require_consent

ANSWERS = (*SYMPTOMS, *EXPOSURES, "visited_places")
TEXTS = {"visited_places_text": 500, "other_symptoms": 500}
LANGUAGES = ("vi", "en")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Every yes/no answered, texts bounded, and no answer contradicting another."""
    clean: dict[str, Any] = {}
    for name in ANSWERS:
        value = data.get(name)
        if not isinstance(value, bool):
            raise Invalid(_("Cần trả lời câu hỏi này (có/không)."), code="required", field=name)
        clean[name] = value
    for name, limit in TEXTS.items():
        text = " ".join(str(data.get(name) or "").split())
        if len(text) > limit:
            raise Invalid(_("Nội dung quá dài."), field=name)
        clean[name] = text
    if clean["visited_places"] and not clean["visited_places_text"]:
        raise Invalid(_("Hãy ghi những nơi đã đến."), code="required",
                      field="visited_places_text")
    if not clean["visited_places"] and clean["visited_places_text"]:
        raise Invalid(code="contradictory", field="visited_places_text")
    language = data.get("language") or "vi"
    if language not in LANGUAGES:
        raise Invalid(_("Ngôn ngữ không được hỗ trợ."), field="language")
    clean["language"] = language
    return clean


@transaction.atomic
def declare(person: Person, submitted_by: User | None, data: dict[str, Any]) -> Declaration:
    """Record a declaration; any symptom or exposure raises an alert in the same transaction.

    The caller has already checked that `submitted_by` manages `person` (managed_person).
    """
    require_consent(submitted_by)
    if not is_complete(person):
        field = "full_name" if not person.full_name.strip() else "area_code"
        raise Invalid(code="profile_incomplete", field=field, extra={"person_id": person.pk})
    answers = _clean(data)
    now = timezone.now()
    declaration = Declaration(
        person=person, submitted_by=submitted_by, created_at=now, local_date=local_day(now),
        area_id=person.area_id, **answers,
    )
    declaration.has_symptoms = (any(answers[s] for s in SYMPTOMS)
                                or bool(answers["other_symptoms"]))
    declaration.has_exposure = any(answers[e] for e in EXPOSURES)
    declaration.save()
    if declaration.has_symptoms or declaration.has_exposure:
        alert = SymptomAlert.objects.create(declaration=declaration, person=person,
                                            area_id=declaration.area_id)
        notify(alert, level=0)
    return declaration


def last_declaration(person: Person) -> Declaration | None:
    return person.declarations.order_by("-created_at", "-pk").first()


def renew_unchanged(person: Person, user: User | None) -> Declaration:
    """One tap: "nothing has changed, no symptoms" — the last answers again, all no.

    Only after a declaration without symptoms or exposure: someone who was unwell answers the
    full form, so that an officer sees what changed.
    """
    last = last_declaration(person)
    if last is None:
        raise Conflict(code="no_previous_declaration")
    if last.has_symptoms or last.has_exposure:
        raise Conflict(code="renewal_not_allowed")
    data: dict[str, Any] = {name: False for name in ANSWERS}
    data.update(visited_places=last.visited_places,
                visited_places_text=last.visited_places_text, language=last.language)
    return declare(person, user, data)


def prefill(person: Person) -> dict[str, Any]:
    """Initial answers for the form: the last declaration's. None before the first one, so
    that every question is really answered once."""
    last = last_declaration(person)
    if last is None:
        return {}
    return {name: getattr(last, name) for name in (*ANSWERS, *TEXTS)}


def declared_today(person_ids: list[int] | set[int],
                   today: date | None = None) -> dict[int, tuple[bool, bool]]:
    """{person id: (declared today, the latest of today's declarations has symptoms)}.

    One query, whatever the number of people: the latest id of the day is compared with the
    latest symptomatic id, so a later "all well" declaration clears the flag.
    """
    ids = list(person_ids)
    result = {pk: (False, False) for pk in ids}
    if not ids:
        return result
    rows = (Declaration.objects.filter(person_id__in=ids, local_date=today or local_day())
            .values("person_id")
            .annotate(n=Count("id"), last=Max("id"),
                      last_sick=Max("id", filter=Q(has_symptoms=True))))
    for row in rows:
        result[row["person_id"]] = (row["n"] > 0, row["last"] == row["last_sick"])
    return result


# Alerts --------------------------------------------------------------------------------

def alert_recipients(alert: SymptomAlert) -> QuerySet[User]:
    """Health officers whose grant covers the alert's commune (or the whole country)."""
    return holders_covering(alert.area, *policy.ALERTS)


def alerts_for(scope: Scope) -> QuerySet[SymptomAlert]:
    """The queue of a health officer: alerts in the areas of their grants."""
    if not scope.has(*policy.ALERTS):
        return SymptomAlert.objects.none()
    return (SymptomAlert.objects.filter(scope.area_filter("area", *policy.ALERTS))
            .select_related("person", "area", "declaration")
            .order_by("-created_at", "-pk"))


def visible_alert(scope: Scope, alert_id: int) -> SymptomAlert:
    alert = alerts_for(scope).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(code="alert_not_found")
    return alert


ACTION_STATUSES = tuple(s for s in SymptomAlert.Status.values if s != SymptomAlert.Status.OPEN)


@transaction.atomic
def record_action(scope: Scope, alert_id: int, status: str, note: str = "") -> AlertAction:
    """What the officer did: called, tested, referred or closed (the alert takes that status)."""
    alert = visible_alert(scope, alert_id)
    if status not in ACTION_STATUSES:
        raise Invalid(_("Việc đã làm không hợp lệ."), field="status")
    note = " ".join((note or "").split())
    if len(note) > 1000:
        raise Invalid(_("Ghi chú quá dài."), field="note")
    action = AlertAction.objects.create(alert=alert, officer=scope.user, status=status,
                                        note=note)
    alert.status = status
    alert.save(update_fields=["status", "updated_at"])
    record(scope.user, "alert_action", target=alert, reason=status)
    return action


def open_alert_count(scope: Scope) -> int:
    return alerts_for(scope).exclude(status=SymptomAlert.Status.CLOSED).count()


def unhandled_alert_count(scope: Scope) -> int:
    """Alerts in the officer's reach that nobody has acted on yet (the badge in the menu)."""
    return alerts_for(scope).filter(status=SymptomAlert.Status.OPEN).count()


# Notification and escalation -------------------------------------------------------------

def alert_levels(alert: SymptomAlert) -> list[Area | None]:
    """Who answers for an alert, nearest first: its commune, then each area above it, then
    the health officers of the whole country (None)."""
    return [*reversed(alert.area.ancestors()), None] if alert.area is not None else [None]


def _alert_text(alert: SymptomAlert, escalated: bool) -> str:
    # No personal data in an SMS: where, and the link to the alert behind the login.
    url = settings.PUBLIC_BASE_URL + reverse("alerts:detail", args=[alert.pk])
    where = alert.area.name if alert.area is not None else "-"
    if escalated:
        return gettext("Kiểm Dịch QR: cảnh báo triệu chứng ở %(area)s chưa được xử lý sau "
                       "%(minutes)s phút. Xem: %(url)s") % {
            "area": where, "minutes": settings.ALERT_ESCALATION_MINUTES, "url": url}
    return gettext("Kiểm Dịch QR: cảnh báo triệu chứng mới ở %(area)s. Xem và xử lý: "
                   "%(url)s") % {"area": where, "url": url}


def notify(alert: SymptomAlert, level: int) -> int | None:
    """Text the health officers of the first level from `level` up that has any (the SMS go
    through the outbox, in the caller's transaction), and set when the alert goes one level
    further if it is still not handled. Returns the level told (None: nobody was left)."""
    levels = alert_levels(alert)
    for told in range(level, len(levels)):
        officers = list(holders_at(Role.HEALTH_OFFICER, levels[told]))
        if officers:
            break
    else:
        alert.escalate_at = None
        alert.save(update_fields=["escalate_at"])
        return None
    escalated = level > 0
    for officer in officers:
        with translation.override(officer.preferred_language or settings.LANGUAGE_CODE):
            send_sms(officer.phone, _alert_text(alert, escalated), purpose="alert",
                     ref=str(alert.pk))
    alert.notified_level = told
    window = timedelta(minutes=settings.ALERT_ESCALATION_MINUTES)
    alert.escalate_at = timezone.now() + window if told < len(levels) - 1 else None
    alert.save(update_fields=["notified_level", "escalate_at"])
    area = levels[told]
    record(None, "alert_escalated" if escalated else "alert_notified", target=alert,
           reason=f"level={told} area={area.code if area else '*'} officers={len(officers)}")
    return told


def escalate_due(limit: int = 500) -> int:
    """Send every alert still open past its window one level up (the periodic job). Each
    alert is claimed by clearing its `escalate_at` first, so that two runs never send the
    same level twice."""
    due = list(SymptomAlert.objects.filter(status=SymptomAlert.Status.OPEN,
                                           escalate_at__lte=timezone.now())
               .select_related("area").order_by("escalate_at")[:limit])
    escalated = 0
    for alert in due:
        with transaction.atomic():
            claimed = SymptomAlert.objects.filter(
                pk=alert.pk, status=SymptomAlert.Status.OPEN,
                escalate_at=alert.escalate_at).update(escalate_at=None)
            if claimed and notify(alert, level=(alert.notified_level or 0) + 1) is not None:
                escalated += 1
    return escalated

