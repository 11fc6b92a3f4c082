"""Time the dashboard's figures at a generated size.

    .venv/bin/python bench/dashboard.py --venues 20000 --scans 500000 --days 30

Uses DATABASE_URL when set (PostgreSQL for realistic numbers), otherwise a throwaway SQLite
file. Generates venues, people, scans and declarations over the loaded area tree, refreshes
the rollups, then times GET /api/v1/stats and the dashboard page for a province over one day
and over the whole range.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from kiemdich.core import clock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(data_dir: str) -> None:
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("KIEMDICH_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from kiemdich.areas.models import Area

    if not Area.objects.exists():
        call_command("load_areas", verbosity=0)


def _generate(venues: int, scans: int, declarations: int, days: int, seed: int) -> None:
    from kiemdich.accounts.models import User
    from kiemdich.areas.models import Area
    from kiemdich.declarations.models import Declaration
    from kiemdich.people.models import Person
    from kiemdich.scans.models import Scan
    from kiemdich.venues.models import Venue
    from kiemdich.venues.types import VENUE_TYPES

    rng = random.Random(seed)
    province = Area.objects.filter(parent__isnull=True).order_by("code").first()
    communes = list(Area.objects.subtree(province).leaves())
    owner, _ = User.objects.get_or_create(phone="+84900999999")
    types = list(VENUE_TYPES.values())
    batch = 5000
    Venue.objects.bulk_create(
        [Venue(code=f"B{seed}-{i}", name=f"Bench {i}", venue_type=(t := rng.choice(types)).key,
               sector=t.sector, area=rng.choice(communes), street="x", place_key=f"b{i}",
               owner=owner, default_stay_minutes=60) for i in range(venues)], batch_size=batch)
    venue_ids = list(Venue.objects.filter(code__startswith=f"B{seed}-")
                     .values_list("pk", flat=True))
    people = Person.objects.bulk_create(
        [Person(full_name=f"P{i}", area=rng.choice(communes), source="scanned")
         for i in range(max(1000, declarations // 5))], batch_size=batch)
    start = datetime.now(clock.zone()).replace(hour=0, minute=0, second=0, microsecond=0) \
        - timedelta(days=days - 1)
    span = days * 86400

    def moment() -> datetime:
        return start + timedelta(seconds=rng.randrange(span))

    for offset in range(0, scans, batch):
        rows = []
        for _ in range(min(batch, scans - offset)):
            at = moment()
            rows.append(Scan(venue_id=rng.choice(venue_ids), person=rng.choice(people),
                             direction=rng.choice(("in", "out")), method="staff",
                             scanned_at=at, received_at=at))
        Scan.objects.bulk_create(rows)
    for offset in range(0, declarations, batch):
        rows = []
        for _ in range(min(batch, declarations - offset)):
            at, person = moment(), rng.choice(people)
            rows.append(Declaration(person=person, created_at=at,
                                    local_date=at.astimezone(clock.zone()).date(),
                                    area_id=person.area_id, has_symptoms=rng.random() < 0.05))
        Declaration.objects.bulk_create(rows)


def _time(label: str, fn, repeat: int) -> None:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    print(f"{label:<48} median {statistics.median(samples):8.1f} ms   "
          f"max {max(samples):8.1f} ms   (n={repeat})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venues", type=int, default=20000)
    parser.add_argument("--scans", type=int, default=300000)
    parser.add_argument("--declarations", type=int, default=100000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        _setup(data_dir)
        from django.db import connection
        from django.test import Client

        from kiemdich.accounts.models import Role
        from kiemdich.accounts.services import grant_role
        from kiemdich.areas.models import Area
        from kiemdich.reports import rollups

        print(f"database: {connection.vendor}; venues {args.venues:,}, scans {args.scans:,}, "
              f"declarations {args.declarations:,} over {args.days} days")
        began = time.perf_counter()
        _generate(args.venues, args.scans, args.declarations, args.days, args.seed)
        print(f"generated in {time.perf_counter() - began:.1f} s")
        today = clock.today()
        began = time.perf_counter()
        rollups.refresh(since=today - timedelta(days=args.days), until=today)
        print(f"refresh_rollups over {args.days + 1} days: {time.perf_counter() - began:.1f} s")
        _time("refresh_rollups, today only", lambda: rollups.refresh(since=today), 1)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics, as autovacuum keeps them live
        province = Area.objects.filter(parent__isnull=True).order_by("code").first()
        grant = grant_role("0900999998", Role.OFFICER, province)
        client = Client()
        client.force_login(grant.user)
        first = (today - timedelta(days=args.days - 1)).isoformat()
        for label, params in [("one day", {"area": province.code}),
                              (f"{args.days} days", {"area": province.code, "date_from": first,
                                                     "date_to": today.isoformat()})]:
            _time(f"GET /api/v1/stats, province, {label}",
                  lambda p=params: client.get("/api/v1/stats", p), args.repeat)
            _time(f"GET /reports/ (dashboard page), province, {label}",
                  lambda p=params: client.get("/reports/", p), args.repeat)


if __name__ == "__main__":
    main()
