"""What the scans app holds: who was scanned where and when (scans, refused ones too) and
the visits made of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from kiemdich.core.personal_data import Erasure, Export, Held, Holder, Purge, register
from kiemdich.scans import partitions
from kiemdich.scans.models import Scan, ScanNonce, Visit


def _purge(run: Purge) -> None:
    held = run.held
    scans_cut = run.cutoff(settings.RETENTION_SCANS_DAYS)
    if partitions.enabled():
        # Whole days first (PostgreSQL): what open cases hold is moved aside, the day dropped;
        # the row deletes below then only meet the few rows outside day partitions.
        dropped = partitions.drop_expired(scans_cut, held.scan_ids, held.visit_ids)
        run.count("scan_partitions", dropped.get("scans_scan", 0))
        run.count("visit_partitions", dropped.get("scans_visit", 0))
        partitions.ensure_ahead(timezone.localdate(run.now))
    # A nonce only guards retries of a scan that still exists.
    run.count("scan_nonces", ScanNonce.objects.filter(scanned_at__lt=scans_cut).delete()[0])
    run.delete("scans", Scan.objects.filter(accepted=True, scanned_at__lt=scans_cut),
               held.scan_ids)
    run.delete("rejected_scans", Scan.objects.filter(
        accepted=False, scanned_at__lt=run.cutoff(settings.RETENTION_REJECTED_SCANS_DAYS)),
        held.scan_ids)
    run.delete("visits", Visit.objects.filter(
        Q(entered_at__lt=scans_cut) | Q(entered_at__isnull=True, closes_at__lt=scans_cut)),
        held.visit_ids)


def _hold_linked(held: Held) -> None:
    """The scans that made the held visits, and the people those visits are of."""
    spans: dict[tuple[int, int], list[tuple[datetime, datetime]]] = defaultdict(list)
    for chunk in _chunks(sorted(held.visit_ids)):
        for venue, person, entered, left, closes in Visit.objects.filter(
                pk__in=chunk).values_list("venue_id", "person_id", "entered_at", "left_at",
                                          "closes_at"):
            end = left or closes
            spans[(venue, person)].append((entered or end, end))
            held.person_ids.add(person)
    held.scan_ids = _scans_within(spans)


def _chunks(ids: list[int], size: int = 1000) -> Iterator[list[int]]:
    for index in range(0, len(ids), size):
        yield ids[index:index + size]


def _scans_within(spans: dict[tuple[int, int], list[tuple[datetime, datetime]]]) -> set[int]:
    """The scans of each (venue, person) inside one of their held visits: one query per
    venue on the (venue, person, scanned_at) index."""
    per_venue: dict[int, list[int]] = defaultdict(list)
    for venue, person in spans:
        per_venue[venue].append(person)
    found: set[int] = set()
    for venue, people in per_venue.items():
        intervals = [span for person in people for span in spans[(venue, person)]]
        for chunk in _chunks(sorted(people)):
            scans = Scan.objects.filter(
                venue_id=venue, person_id__in=chunk,
                scanned_at__gte=min(start for start, _end in intervals),
                scanned_at__lte=max(end for _start, end in intervals))
            found.update(pk for pk, person, at in scans.values_list("pk", "person_id",
                                                                    "scanned_at")
                         if any(start <= at <= end for start, end in spans[(venue, person)]))
    return found


def _erase(erasure: Erasure) -> None:
    if erasure.erase:
        # Scans point at people without a constraint: deleted explicitly.
        Scan.objects.filter(person_id__in=erasure.erase).delete()
    if erasure.strip:
        held = erasure.held
        Scan.objects.filter(person_id__in=erasure.strip).exclude(pk__in=held.scan_ids).delete()
        Visit.objects.filter(person_id__in=erasure.strip) \
            .exclude(pk__in=held.visit_ids).delete()


def _export(export: Export) -> None:
    # Each with the venue's name: a person reads where they were, not a number.
    export.add("visits", Visit.objects.filter(person_id__in=export.ids).order_by("entered_at")
               .values("person_id", "venue_id", "entered_at", "left_at",
                       venue_name=F("venue__name")))
    export.add("scans", Scan.objects.filter(person_id__in=export.ids).order_by("scanned_at")
               .values("person_id", "venue_id", "direction", "method", "accepted", "reason",
                       "scanned_at", venue_name=F("venue__name")))


register(Holder(
    app="scans",
    models={
        "scans.Scan": "who was scanned where and when; purged after RETENTION_SCANS_DAYS "
                      "(refused: RETENTION_REJECTED_SCANS_DAYS) but what open cases hold, "
                      "erased with the person, exported",
        "scans.Visit": "a person's stays at venues; as the scans",
    },
    person_refs=("scans.Scan", "scans.Visit"),
    purge=_purge, erase=_erase, export=_export, hold_linked=_hold_linked,
))
