"""seed_demo's citizens and declarations: plenty of them, in the demo province, idempotent."""

from __future__ import annotations

import io

import pytest

from kiemdich.accounts import demo as accounts_demo
from kiemdich.declarations import demo as declarations_demo
from kiemdich.declarations.models import Declaration, SymptomAlert
from kiemdich.people import demo as people_demo
from kiemdich.people.models import Person

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_families_and_a_week_of_declarations_once(areas, client):
    out = io.StringIO()
    accounts_demo.seed(out)
    people_demo.seed(out)
    declarations_demo.seed(out)
    people, declarations = Person.objects.count(), Declaration.objects.count()
    assert people > 3000
    assert Person.objects.filter(is_self=False).count() > 1000
    named = Person.objects.exclude(full_name="")
    assert not named.exclude(area__path__startswith=areas["75"].path).exists()
    days = set(Declaration.objects.values_list("local_date", flat=True))
    assert 6 <= len(days) <= 7
    assert declarations > 10_000
    alerts = SymptomAlert.objects.count()
    assert alerts == Declaration.objects.filter(has_symptoms=True).count() + \
        Declaration.objects.filter(has_exposure=True, has_symptoms=False).count() > 0

    people_demo.seed(out)
    declarations_demo.seed(out)
    assert (Person.objects.count(), Declaration.objects.count(),
            SymptomAlert.objects.count()) == (people, declarations, alerts)

    citizen = Person.objects.get(account__phone="+84900000020", is_self=True)
    client.force_login(citizen.account)
    html = client.get("/").content.decode()
    assert "Trần Thị Lan" in html and "Chưa khai hôm nay" in html
    officer = Person.objects.get(account__phone="+84900000005").account
    client.force_login(officer)
    assert "data-alert=" in client.get("/alerts/").content.decode()
