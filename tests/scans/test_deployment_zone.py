"""A deployment in another zone (TIME_ZONE) has one notion of a day everywhere: the visit's
day, "declared today" and the personal code's night-time expiry all follow its midnight, not
Vietnam's and not UTC's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from kiemdich.declarations.models import Declaration
from kiemdich.people.codes import app_code_expiry, issue_app_code
from kiemdich.scans.models import Visit
from tests.people.support import answers, ready
from tests.scans.conftest import scans_url

pytestmark = pytest.mark.django_db

# 01:30 UTC on the 11th: 08:30 on the 11th in Vietnam, 22:30 on the 10th in São Paulo (UTC-3).
MOMENT = datetime(2026, 3, 11, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "day"), [("America/Sao_Paulo", date(2026, 3, 10)),
                                           ("Asia/Ho_Chi_Minh", date(2026, 3, 11))])
def test_the_day_of_a_visit_and_of_a_declaration_is_the_deployments(settings, zone, day, venue,
                                                                     hoa, lan, lan_person):
    settings.TIME_ZONE = zone
    me = ready(lan)
    with time_machine.travel(MOMENT, tick=False):
        code = issue_app_code(lan_person.public_id, MOMENT)[0]
        scanned = hoa.post(scans_url(venue), {"code": code, "direction": "in"})
        declared = lan.post(f"/api/v1/people/{me}/declarations", answers())
        listed = lan.get("/api/v1/people").json()
    assert scanned.status_code == 201, scanned.content
    assert declared.status_code == 201, declared.content
    assert Visit.objects.get(person=lan_person).day == day
    assert Declaration.objects.get().local_date == day
    with time_machine.travel(MOMENT, tick=False):
        assert next(p for p in listed if p["id"] == me)["declared_today"] is True


@pytest.mark.parametrize(("zone", "expiry"), [
    # 12 hours on is 10:30 on the 11th there; the next 04:00 there is on the 12th (07:00 UTC).
    ("America/Sao_Paulo", datetime(2026, 3, 12, 7, 0, tzinfo=UTC)),
    # 12 hours on is 20:30 on the 11th in Vietnam; the next 04:00 is 21:00 UTC on the 11th.
    ("Asia/Ho_Chi_Minh", datetime(2026, 3, 11, 21, 0, tzinfo=UTC)),
])
def test_an_app_code_expires_at_four_in_the_deployments_night(settings, zone, expiry):
    settings.TIME_ZONE = zone
    assert app_code_expiry(MOMENT) == expiry
