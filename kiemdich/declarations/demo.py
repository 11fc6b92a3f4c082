"""A week of demo declarations for the demo citizens, a few of them symptomatic with alerts.

Idempotent by day: a day that already has declarations from demo citizens is left alone, so
running it again tomorrow adds only the new day.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import TextIO

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from kiemdich.accounts.demo import (
    DEMO_AUTHORITIES,
    DEMO_CITIZEN_PHONE,
    demo_communes,
    demo_province,
)
from kiemdich.accounts.models import Role, User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.areas.models import Area
from kiemdich.declarations.models import SYMPTOMS, AlertAction, Declaration, SymptomAlert
from kiemdich.people.models import Person

# (person id, account id, area id, is the demo citizen's)
DemoPerson = tuple[int, int, int, bool]

DAYS = 7
DECLARE_RATE = 0.8
SYMPTOM_RATE = 0.02
EXPOSURE_RATE = 0.01
PLACES = ["TP. Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu", "Hà Nội", "Lâm Đồng"]


def _demo_people() -> list[DemoPerson]:
    """(person id, account id, area id, is the demo citizen's) for people of the province."""
    demo_account = User.objects.filter(phone=normalize_phone(DEMO_CITIZEN_PHONE)).first()
    province = demo_province()
    rows = (Person.objects.filter(account__isnull=False, area__path__startswith=province.path)
            .exclude(full_name="").order_by("pk")
            .values_list("pk", "account_id", "area_id"))
    return [(pk, account, area, demo_account is not None and account == demo_account.pk)
            for pk, account, area in rows]


def _declarations_for(day: date, people: list[DemoPerson], rng: random.Random,
                      now: datetime) -> list[Declaration]:
    start = timezone.make_aware(datetime.combine(day, time(6, 0)))
    latest = min(now, timezone.make_aware(datetime.combine(day, time(22, 0))))
    span = max(0, int((latest - start).total_seconds()))
    made = []
    for person_id, account_id, area_id, is_demo in people:
        # The demo citizen's family has not declared yet today: the home page shows why.
        if span == 0 or (is_demo and day == now.date()) or rng.random() > DECLARE_RATE:
            continue
        declaration = Declaration(person_id=person_id, submitted_by_id=account_id,
                                  area_id=area_id, local_date=day,
                                  created_at=start + timedelta(seconds=rng.randrange(span)))
        if rng.random() < 0.05:
            declaration.visited_places = True
            declaration.visited_places_text = rng.choice(PLACES)
        if rng.random() < SYMPTOM_RATE:
            for name in rng.sample(SYMPTOMS, rng.randint(1, 3)):
                setattr(declaration, name, True)
            declaration.has_symptoms = True
        if rng.random() < EXPOSURE_RATE:
            declaration.contact_case = declaration.has_exposure = True
        made.append(declaration)
    return made


@transaction.atomic
def _seed_day(day: date, people: list[DemoPerson], rng: random.Random,
              now: datetime) -> tuple[int, int]:
    declarations = Declaration.objects.bulk_create(_declarations_for(day, people, rng, now),
                                                   batch_size=1000)
    alerts = [SymptomAlert(declaration_id=d.pk, person_id=d.person_id, area_id=d.area_id)
              for d in declarations if d.has_symptoms or d.has_exposure]
    SymptomAlert.objects.bulk_create(alerts, batch_size=1000)
    # auto_now_add stamped them now; an alert is as old as its declaration.
    SymptomAlert.objects.filter(declaration__local_date=day).update(created_at=Subquery(
        Declaration.objects.filter(pk=OuterRef("declaration_id")).values("created_at")[:1]))
    if (now.date() - day).days >= 2:
        _work_through(day, rng)
    return len(declarations), len(alerts)


def _work_through(day: date, rng: random.Random) -> None:
    """Older alerts were handled by the demo health officer: called, then tested or closed."""
    phone = next(p for p, role, _w, _s in DEMO_AUTHORITIES if role == Role.HEALTH_OFFICER)
    officer = User.objects.filter(phone=normalize_phone(phone)).first()
    finals: dict[str, list[int]] = {"called": [], "tested": [], "closed": []}
    actions = []
    for alert_id in SymptomAlert.objects.filter(declaration__local_date=day, status="open") \
            .values_list("pk", flat=True):
        final = rng.choice(["called", "tested", "closed", "closed"])
        finals[final].append(alert_id)
        steps = ["called"] if final == "called" else ["called", final]
        actions += [AlertAction(alert_id=alert_id, officer=officer, status=s) for s in steps]
    AlertAction.objects.bulk_create(actions, batch_size=1000)
    for status, alert_ids in finals.items():
        SymptomAlert.objects.filter(pk__in=alert_ids).update(status=status)


def seed(out: TextIO) -> None:
    people = _demo_people()
    if not people:
        out.write("Declarations: no demo citizens; skipped.")
        return
    now = timezone.localtime()
    ids = [p[0] for p in people]
    made = raised = 0
    for back in range(DAYS - 1, -1, -1):
        day = now.date() - timedelta(days=back)
        if Declaration.objects.filter(local_date=day, person_id__in=ids).exists():
            continue
        rng = random.Random(day.toordinal())  # noqa: S311 — demo data
        count, alerts = _seed_day(day, people, rng, now)
        made, raised = made + count, raised + alerts
    raised += _an_open_alert(demo_communes()[0], now)
    out.write(f"Declarations: {made} new over the last {DAYS} days, {raised} symptom alerts"
              f" (demo health officers see them at /alerts/).")


@transaction.atomic
def _an_open_alert(commune: Area, now: datetime) -> int:
    """The commune's health officer always finds one to handle: with no open alert in the
    commune (none drawn there, or all handled since the last run), one of its people declares
    a fever now."""
    if SymptomAlert.objects.filter(area=commune, status=SymptomAlert.Status.OPEN).exists():
        return 0
    person = (Person.objects.filter(area=commune, account__isnull=False)
              .exclude(full_name="").exclude(declarations__local_date=now.date())
              .exclude(account__phone=normalize_phone(DEMO_CITIZEN_PHONE)).order_by("pk").first())
    if person is None:
        return 0
    declaration = Declaration.objects.create(
        person=person, submitted_by_id=person.account_id, area=commune, local_date=now.date(),
        created_at=now, fever=True, cough=True, has_symptoms=True)
    SymptomAlert.objects.create(declaration=declaration, person=person, area=commune)
    return 1
