"""The automatic check-out (job visits.check_out): visits of finished days that nobody
closed end when they counted as over; closed visits and today's open ones are left alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from kiemdich.people.codes import issue_app_code
from kiemdich.scans.models import Visit
from kiemdich.scans.services import AUTO_EXIT
from tests.scans.conftest import scans_url

pytestmark = pytest.mark.django_db
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def _scan(client, venue, person, direction: str, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        code = issue_app_code(person.public_id, when)[0]
        answer = client.post(scans_url(venue), {"code": code, "direction": direction})
    assert answer.status_code == 201, answer.content


def test_open_visits_of_finished_days_are_closed_once(venue, hoa, lan_person):
    from kiemdich.people.models import Person

    other = Person.objects.create(full_name="Trần Văn Nam")
    yesterday = datetime(2026, 3, 10, 9, 0, tzinfo=LOCAL)
    _scan(hoa, venue, lan_person, "in", yesterday)  # left open
    _scan(hoa, venue, other, "in", yesterday)
    _scan(hoa, venue, other, "out", yesterday + timedelta(minutes=30))  # closed by its exit
    today = datetime(2026, 3, 11, 8, 0, tzinfo=LOCAL)
    _scan(hoa, venue, lan_person, "in", today)  # still open: an exit today closes it

    with time_machine.travel(today + timedelta(hours=1), tick=False):
        out = StringIO()
        call_command("run_job", "visits.check_out", stdout=out)
        assert "closed 1 visit(s)" in out.getvalue()
        call_command("run_job", "visits.check_out", stdout=(second := StringIO()))
        assert "closed 0 visit(s)" in second.getvalue()

    forgotten = Visit.objects.get(person=lan_person, day=yesterday.date())
    assert forgotten.left_at == forgotten.closes_at == yesterday + timedelta(minutes=60)
    assert forgotten.exit_method == AUTO_EXIT
    closed = Visit.objects.get(person=other)
    assert closed.left_at == yesterday + timedelta(minutes=30)
    assert closed.exit_method != AUTO_EXIT
    still_open = Visit.objects.get(person=lan_person, day=today.date())
    assert still_open.left_at is None
