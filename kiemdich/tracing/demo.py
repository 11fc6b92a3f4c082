"""One open case in the demo province: the demo visitor with the most visits in the last
14 days becomes the F0, registered by the first demo health officer."""

from __future__ import annotations

from typing import TextIO

from django.db.models import Count
from django.utils import timezone

from kiemdich.accounts.demo import DEMO_AUTHORITIES, demo_province
from kiemdich.accounts.models import Role
from kiemdich.accounts.scopes import Scope
from kiemdich.accounts.services import grant_role
from kiemdich.people.models import Person
from kiemdich.scans.models import Visit
from kiemdich.tracing import services
from kiemdich.tracing.models import Case


def seed(out: TextIO) -> None:
    phone = next(p for p, role, _, _ in DEMO_AUTHORITIES if role == Role.HEALTH_OFFICER)
    # Made by the accounts demo already; granting again changes nothing.
    officer = grant_role(phone, Role.HEALTH_OFFICER, demo_province()).user
    if Case.objects.filter(created_by=officer).exists():
        return
    now = timezone.now()
    busiest = (Visit.objects.filter(venue__area__path__startswith=demo_province().path,
                                    closes_at__gte=now - services.TEST_LOOK_BACK)
               .values("person_id").annotate(n=Count("id")).order_by("-n", "person_id").first())
    if busiest is None:
        out.write("Tracing: no demo visits, no demo case.")
        return
    person = Person.objects.get(pk=busiest["person_id"])
    case = services.register_case(officer, Scope(officer), person=person, confirmed_at=now)
    exp = services.exposures(officer, case, audit="")
    out.write(f"Tracing: case #{case.pk} with {len(exp.visits)} places and "
              f"{len(exp.contacts)} contacts (health officer {phone}).")
