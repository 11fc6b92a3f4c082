"""How long tracing one case takes at a large number of visits (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kd_tracing_bench \
        .venv/bin/python bench/tracing.py --visits 10000000

Generates (once; `--regenerate` to start again) VISITS visits over 30 days at VENUES venues
with a skewed popularity (a few venues are very busy), bulk-inserted server-side with
INSERT … SELECT generate_series and the indexes rebuilt afterwards, then registers an F0 with
3 visits a day for 14 days and times the case's exposures (its visits and all its contacts),
and the first page of 100 contacts as the exposures endpoint answers it with `limit`,
printing the median and worst of several runs and the plan of the contacts query.
Visitors are person ids without Person rows: Visit has no database-level foreign key, and
tracing only needs the F0's row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ.setdefault("KEY_ENCRYPTION_KEY", "bench-key-encryption-key-not-for-production-0123")
os.environ.setdefault("AUDIT_KEY", "bench-audit-key-not-for-production-0123456789")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

DAYS = 30
VISIT_INDEXES = {
    "visit_person_time": "(person_id, entered_at)",
    "visit_venue_time_cover": "(venue_id, entered_at) "
                              "INCLUDE (id, person_id, left_at, closes_at, day)",
    "visit_venue_person_day": "(venue_id, person_id, day)",
    "visit_venue_day": "(venue_id, day)",
}


def generate(visits: int, venues: int, people: int, start) -> None:
    from kiemdich.accounts.services import account_for_phone
    from kiemdich.areas.models import Area
    from kiemdich.venues.models import Venue

    area, _ = Area.objects.get_or_create(depth=0, code="bench", defaults={
        "name": "Bench", "path": "/0/", "is_leaf": True})
    owner = account_for_phone("0999000001")
    Venue.objects.bulk_create(
        [Venue(code=f"B{i:09d}", name=f"Địa điểm {i}", venue_type="restaurant", sector="trade",
               area=area, street=f"{i} Bench", place_key=f"bench-{i}", default_stay_minutes=60,
               owner=owner, latitude=10.9 + (i % 100) / 1000, longitude=106.8 + i / 1e6)
         for i in range(venues)], batch_size=5000)
    low, high = Venue.objects.filter(code__startswith="B").values_list("pk", flat=True) \
        .order_by("pk").first(), Venue.objects.order_by("-pk").values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        for name in VISIT_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        chunk = 1_000_000
        for offset in range(0, visits, chunk):
            n = min(chunk, visits - offset)
            # Popularity ~ r²: the busiest venues get hundreds of visits a day. 90% of visits
            # are closed (10-130 min), 8% never checked out, 2% are exit-only.
            cursor.execute("""
                INSERT INTO scans_visit (venue_id, person_id, entered_at, left_at, closes_at,
                                         entry_method, exit_method, day)
                SELECT venue, person,
                       CASE WHEN kind < 0.98 THEN t END,
                       CASE WHEN kind < 0.90 OR kind >= 0.98 THEN t + stay END,
                       CASE WHEN kind < 0.90 OR kind >= 0.98 THEN t + stay
                            ELSE t + interval '60 minutes' END,
                       CASE WHEN kind < 0.98 THEN 'self' ELSE '' END,
                       CASE WHEN kind < 0.90 OR kind >= 0.98 THEN 'self' ELSE '' END,
                       (t AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                FROM (
                    SELECT %(low)s + floor((%(high)s - %(low)s + 1) * random() ^ 2)::int AS venue,
                           1 + floor(random() * %(people)s)::int AS person,
                           %(start)s::timestamptz + random() * %(days)s * interval '1 day' AS t,
                           interval '10 minutes' + random() * interval '120 minutes' AS stay,
                           random() AS kind
                    FROM generate_series(1, %(n)s)
                ) g
            """, {"low": low, "high": high, "people": people, "start": start, "days": DAYS,
                  "n": n})
            print(f"  {offset + n:,} visits", flush=True)
        for name, columns in VISIT_INDEXES.items():
            cursor.execute(f"CREATE INDEX {name} ON scans_visit {columns}")
        cursor.execute("ANALYZE scans_visit")


def f0_case(start):
    """An F0 with 3 visits a day for 14 days, at venues picked by the same popularity."""
    import random

    from kiemdich.people.models import Person
    from kiemdich.scans.models import Visit
    from kiemdich.tracing.models import Case
    from kiemdich.venues.models import Venue

    rng = random.Random(7)
    venue_ids = list(Venue.objects.filter(code__startswith="B").order_by("pk")
                     .values_list("pk", flat=True))
    person = Person.objects.create(source="manual", full_name="F0 bench")
    confirmed = start + timedelta(days=DAYS - 1)
    visits = []
    for day in range(14):
        for hour in (8, 12, 18):
            t = confirmed - timedelta(days=14 - day) + timedelta(hours=hour - 12)
            venue = venue_ids[int(len(venue_ids) * rng.random() ** 2)]
            visits.append(Visit(venue_id=venue, person=person, entered_at=t,
                                left_at=t + timedelta(minutes=45), closes_at=t + timedelta(
                                    minutes=45), entry_method="self", exit_method="self",
                                day=timezone.localtime(t).date()))
    Visit.objects.bulk_create(visits)
    return Case.objects.create(person=person, confirmed_at=confirmed,
                               window_start=confirmed - timedelta(days=14),
                               window_end=confirmed, margin_minutes=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=10_000_000)
    parser.add_argument("--venues", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    from kiemdich.scans.models import Visit
    from kiemdich.tracing import services

    start = timezone.now().replace(microsecond=0) - timedelta(days=DAYS)
    if args.regenerate:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE scans_visit, tracing_notice, tracing_noticebatch, "
                           "tracing_case")
            cursor.execute("DELETE FROM venues_venue WHERE code LIKE 'B%%'")
    existing = Visit.objects.count()
    if existing < args.visits:
        print(f"Generating {args.visits:,} visits at {args.venues:,} venues…", flush=True)
        began = time.perf_counter()
        generate(args.visits, args.venues, args.people, start)
        print(f"  generated in {time.perf_counter() - began:.0f} s")
    case = f0_case(start)
    total = Visit.objects.count()
    timings = []
    for _ in range(args.runs):
        began = time.perf_counter()
        exp = services.exposures(None, case, audit="")
        timings.append(time.perf_counter() - began)
    print(f"visits in table: {total:,}")
    print(f"F0 visits in window: {len(exp.visits)}; contacts: {len(exp.contacts):,}; "
          f"contact visits: {sum(len(c.overlaps) for c in exp.contacts):,}")
    print(f"exposures (visits + contacts, ranked): median {statistics.median(timings) * 1000:.1f}"
          f" ms, worst {max(timings) * 1000:.1f} ms, first {timings[0] * 1000:.1f} ms "
          f"over {args.runs} runs")
    paged = []
    for _ in range(args.runs):
        began = time.perf_counter()
        page = services.exposures_page(None, case, limit=100, audit="")
        paged.append(time.perf_counter() - began)
    print(f"first page of 100 (every contact ranked in SQL on PostgreSQL, {page.total:,} in "
          f"all): median {statistics.median(paged) * 1000:.1f} ms, worst "
          f"{max(paged) * 1000:.1f} ms over {args.runs} runs")
    print("Plan of the contacts query:")
    from kiemdich.tracing import engine

    visits = engine.visits_of([case.person_id], case.window_start, case.window_end)
    zones = engine.widened(visits, timedelta(minutes=60))
    venue_id, (zone_start, zone_end) = next((v, z[0]) for v, z in zones.items())
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM scans_visit WHERE venue_id = %s"
                       " AND entered_at >= %s AND entered_at < %s",
                       [venue_id, zone_start - timedelta(hours=24), zone_end])
        for (line,) in cursor.fetchall():
            print("   ", line)


if __name__ == "__main__":
    main()
