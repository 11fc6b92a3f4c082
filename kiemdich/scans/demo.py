"""Demo scans: two weeks of entries and exits at the demo province's venues by its people.

Deterministic (a seeded generator), written with bulk_create, and done once: the scans carry
``demo-`` nonces, and a second run finds them and adds nothing. Visits are derived with the
same rules as the ingest (`visits.fold`), so the demo data looks exactly like real data.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from kiemdich.accounts.demo import DEMO_CITIZEN_PHONE, DEMO_OWNER_PHONE, demo_province
from kiemdich.accounts.models import User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.core.clock import local_day
from kiemdich.people.models import Person
from kiemdich.scans.models import Direction, Method, Scan, Visit
from kiemdich.scans.visits import ScanPoint, fold
from kiemdich.venues.demo import QUIET_SINCE_DAYS, quiet_venue_names
from kiemdich.venues.models import Venue

DAYS = 14
MAX_PEOPLE = 2000
OUT_SHARE = 0.85  # most visitors scan out too
REFUSED_SHARE = 0.02
NONCE_PREFIX = "demo-"
REFUSALS = ["code_expired", "code_unreadable", "code_forged", "scan_time_invalid"]


def seed(out: TextIO) -> None:
    province = demo_province()
    venues = list(Venue.objects.filter(area__path__startswith=province.path,
                                       status=Venue.Status.ACTIVE).order_by("pk"))
    if not venues:
        out.write("  scans: no demo venues, nothing to do")
        return
    if Scan.objects.filter(venue_id__in=[v.pk for v in venues],
                           nonce__startswith=NONCE_PREFIX).exists():
        out.write("  scans: demo scans already there")
        return
    people = list(Person.objects.filter(area__path__startswith=province.path)
                  .order_by("pk").values_list("pk", flat=True)[:MAX_PEOPLE])
    people += list(Person.objects.filter(account__phone=normalize_phone(DEMO_CITIZEN_PHONE))
                   .values_list("pk", flat=True))
    if not people:
        out.write("  scans: no demo people, nothing to do")
        return
    scans = _scans(random.Random(2021), venues, sorted(set(people)))
    stays = {v.pk: v.default_stay_minutes for v in venues}
    with transaction.atomic():
        Scan.objects.bulk_create(scans, batch_size=2000)
        visits = _visits(scans, stays)
        Visit.objects.bulk_create(visits, batch_size=2000)
    out.write(f"  scans: {len(scans)} scans, {len(visits)} visits over {DAYS} days")


def _scans(rng: random.Random, venues: list[Venue], people: list[int]) -> list[Scan]:
    now = timezone.now()
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    # The demo owner's places are busier, so their live pages and histories have content.
    demo_owner = User.objects.filter(phone=normalize_phone(DEMO_OWNER_PHONE)).first()
    owned = [v for v in venues if demo_owner is not None and v.owner_id == demo_owner.pk]
    popular = venues[: max(1, len(venues) // 5)]
    scans: list[Scan] = []

    # The places venues.demo keeps quiet: scanned until QUIET_SINCE_DAYS ago, then not at all.
    quiet = set(quiet_venue_names())
    quiet_since = now - timedelta(days=QUIET_SINCE_DAYS)

    def add(venue: Venue, person: int, direction: str, at: datetime, method: str,
            reason: str = "") -> None:
        if at > now or at < venue.created_at or (venue.name in quiet and at >= quiet_since):
            return
        scans.append(Scan(
            venue_id=venue.pk, person_id=None if reason else person, direction=direction,
            method=method, code_format="poster" if method == Method.SELF else "kd_app",
            accepted=not reason, reason=reason, scanned_at=at,
            received_at=at + timedelta(seconds=rng.randint(0, 3)),
            nonce=f"{NONCE_PREFIX}{len(scans)}",
            response={"result": "ok"} if not reason else {"error": {"code": reason}}))

    for offset in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        opening = datetime.combine(day, time(7, 0), tzinfo=zone)
        for person in people:
            if rng.random() > 0.4:
                continue
            for _visit in range(rng.choice((1, 1, 1, 2))):
                pool = owned if owned and rng.random() < 0.2 else \
                    popular if rng.random() < 0.5 else venues
                venue = rng.choice(pool)
                entered = opening + timedelta(minutes=rng.randint(0, 13 * 60))
                method = rng.choice((Method.SELF, Method.SELF, Method.STAFF, Method.MANUAL))
                if rng.random() < REFUSED_SHARE:
                    add(venue, person, Direction.IN, entered, Method.STAFF, rng.choice(REFUSALS))
                    continue
                add(venue, person, Direction.IN, entered, method)
                if rng.random() < OUT_SHARE:
                    stay = rng.randint(5, max(10, venue.default_stay_minutes * 2))
                    left = min(entered + timedelta(minutes=stay),
                               datetime.combine(day, time(23, 30), tzinfo=zone))
                    add(venue, person, Direction.OUT, left, method)
    return scans


def _visits(scans: list[Scan], stays: dict[int, int]) -> list[Visit]:
    groups: dict[tuple, list[ScanPoint]] = defaultdict(list)
    for scan in sorted((s for s in scans if s.accepted), key=lambda s: s.scanned_at):
        key = (scan.venue_id, scan.person_id, local_day(scan.scanned_at))
        groups[key].append(ScanPoint(scan.scanned_at, scan.direction, scan.method))
    return [Visit(venue_id=venue_id, person_id=person_id, **vars(draft))
            for (venue_id, person_id, _day), points in groups.items()
            for draft in fold(points, stays[venue_id])]
