"""The data generator at tiny sizes: it runs on both databases and writes rows shaped as the
live ingest writes them, so benchmarks measure what production would store."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from bench.generate import main, plan_from, population
from bench.loadgen import SCAN_COLUMNS, VISIT_COLUMNS, venue_code
from kiemdich.accounts.auth import issue_token
from kiemdich.declarations.models import Declaration, SymptomAlert
from kiemdich.people.codes import issue_app_code
from kiemdich.people.models import Person
from kiemdich.reports.models import DailyRollup, VenueDay
from kiemdich.scans.models import Scan, Visit
from kiemdich.venues.devices import create_device
from kiemdich.venues.models import Venue
from kiemdich.venues.services import venue_by_code
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)


def generate(**extra) -> str:
    from io import StringIO

    out = StringIO()
    # Ending yesterday: whole days, whatever the time the test runs at.
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    options = {"people": 300, "venues": 20, "days": 3, "scans_per_person_day": 2,
               "last_day": yesterday, **extra}
    argv = [f"--{name.replace('_', '-')}={value}" for name, value in options.items()]
    population(plan_from(argv), out)
    return out.getvalue()


def test_a_tiny_province_has_every_kind_of_row(areas):
    output = generate()
    assert "Generated 300 people" in output
    people = Person.objects.all()
    assert people.count() == 300
    # Households: accounts with dependants, and people known only from their ID card.
    assert people.filter(account__isnull=False, is_self=False).exists()
    assert people.filter(account__isnull=True, source=Person.Source.SCANNED)\
        .exclude(id_number_digest="").exists()
    communes = {a.pk for code, a in areas.items() if a.is_leaf and a.path.startswith(
        areas["75"].path)}
    assert set(people.values_list("area_id", flat=True)) <= communes
    assert Venue.objects.count() == 20
    scans = Scan.objects.all()
    total = scans.count()
    assert 0.7 * 300 * 3 * 2 <= total <= 1.1 * 300 * 3 * 2
    refused = scans.filter(accepted=False)
    assert refused.exists() and refused.filter(person__isnull=True).count() == refused.count()
    assert set(refused.values_list("reason", flat=True)) <= {
        "code_expired", "code_unreadable", "code_forged", "person_unknown",
        "scan_time_invalid"}
    assert scans.filter(response__visit="repeat").exists()
    assert set(scans.values_list("method", flat=True)) >= {"self", "staff", "device"}
    visits = Visit.objects.all()
    assert visits.filter(left_at__isnull=False, entered_at__isnull=False).exists()
    assert visits.filter(left_at__isnull=True).exists()
    for visit in visits.filter(left_at__isnull=True)[:50]:
        stay = Venue.objects.get(pk=visit.venue_id).default_stay_minutes
        assert visit.closes_at <= visit.entered_at + timedelta(minutes=stay)
    assert Declaration.objects.exists()
    assert SymptomAlert.objects.count() == Declaration.objects.filter(has_symptoms=True).count()
    # The statistics of the generated days are ready.
    assert DailyRollup.objects.exists() and VenueDay.objects.exists()


def test_the_last_day_stops_at_the_present(areas):
    """Today's traffic so far and nothing from later today: a generated scan in the future
    would make every real scan of that person today a late one."""
    ten_am = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(ten_am):
        generate(last_day=ten_am.date().isoformat())
        now = timezone.now()
    today = Scan.objects.filter(scanned_at__gte=ten_am.replace(hour=0))
    assert today.exists() and not Scan.objects.filter(scanned_at__gte=now).exists()
    assert not Scan.objects.filter(received_at__gte=now + timedelta(seconds=5)).exists()
    assert not Visit.objects.filter(left_at__gte=now).exists()
    assert Declaration.objects.filter(local_date=ten_am.date()).exists()
    assert not Declaration.objects.filter(created_at__gte=now).exists()


def test_most_outings_stay_in_the_persons_district(areas):
    generate(people=400, venues=40)
    district = {a.pk: a.parent_id for a in areas.values() if a.is_leaf}
    pairs = Visit.objects.values_list("person__area_id", "venue__area_id")
    local = sum(district[home] == district[place] for home, place in pairs)
    # Four outings in five are planned local; the province-wide rest land in the home
    # district by chance about half the time (two districts of unequal size).
    assert local / len(pairs) > 0.8


def _row_shape(model, columns, obj) -> dict:
    values = {name: getattr(obj, name) for name in columns if name != "id"}
    return {name: (type(value).__name__, bool(value) if isinstance(value, str) else None)
            for name, value in values.items()}


def test_generated_rows_look_like_the_live_ingest(areas):
    generate(people=120, venues=6, days=1)
    venue = Venue.objects.order_by("pk").first()
    person = Person.objects.filter(account__isnull=False, is_self=True).first()
    _device, token = create_device(venue, "reader")
    reader = ApiClient()
    code = issue_app_code(person.public_id, timezone.now())[0]
    response = reader.post(f"/api/v1/venues/{venue.pk}/scans",
                           {"code": code, "direction": "in", "nonce": "shape-1"},
                           HTTP_AUTHORIZATION=f"Device {token}")
    assert response.status_code == 201, response.content
    live = Scan.objects.get(pk=response.json()["scan_id"])
    generated = Scan.objects.filter(method="device", accepted=True, code_format="kd_app")\
        .exclude(pk=live.pk).first()
    assert generated is not None
    assert _row_shape(Scan, SCAN_COLUMNS, generated) == _row_shape(Scan, SCAN_COLUMNS, live)
    assert set(generated.response) == set(live.response)
    live_visit = Visit.objects.get(venue_id=venue.pk, person_id=person.pk,
                                   entered_at=live.scanned_at)
    generated_visit = Visit.objects.filter(entry_method="device", left_at__isnull=True).first()
    assert _row_shape(Visit, VISIT_COLUMNS, generated_visit) == \
        _row_shape(Visit, VISIT_COLUMNS, live_visit)
    # The poster check-in, as the account that owns the person.
    client = ApiClient(issue_token(person.account)[0])
    response = client.post("/api/v1/checkins", {"venue_code": venue.code,
                                                "person_ids": [person.pk], "direction": "in"})
    assert response.status_code == 201, response.content
    live_self = Scan.objects.get(pk=response.json()["scans"][0]["scan_id"])
    generated_self = Scan.objects.filter(method="self").exclude(pk=live_self.pk).first()
    assert _row_shape(Scan, SCAN_COLUMNS, generated_self) == \
        _row_shape(Scan, SCAN_COLUMNS, live_self)
    assert generated_self.response == live_self.response


def test_generating_again_adds_to_the_data_and_live_inserts_still_work(areas):
    generate(people=50, venues=5, days=1)
    first = Scan.objects.count()
    generate(people=50, venues=5, days=1, seed=2)
    assert Scan.objects.count() > first
    assert Person.objects.count() == 100
    # The id sequences were moved past the explicit ids.
    person = Person.objects.create(full_name="Sau khi sinh dữ liệu")
    assert person.pk > max(Person.objects.exclude(pk=person.pk).values_list("pk", flat=True))


def test_generated_venue_codes_are_poster_codes(areas):
    generate(people=20, venues=3, days=1)
    for venue in Venue.objects.all():
        assert venue.code == venue_code(venue.pk)
        assert venue_by_code(venue.code.lower()) == venue


def test_bad_arguments_are_refused(areas, capsys):
    with pytest.raises(ValueError, match="must be at least 1"):
        generate(people=0)
    with pytest.raises(ValueError, match="invalid --last-day"):
        generate(last_day="yesterday")
    assert main(["--people=0", "--venues=3"]) == 2
    assert "must be at least 1" in capsys.readouterr().err
    assert not Person.objects.exists()


def test_copy_is_used_on_postgresql(areas):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    output = generate(people=40, venues=4, days=1)
    assert "Generated 40 people" in output
