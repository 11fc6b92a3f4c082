"""Every scan, accepted or rejected, and the visits (entry–exit intervals) derived from them.

The venue id is part of every unique constraint so the tables can be sharded by venue. On
PostgreSQL both tables are partitioned by day (migration 0003, scans.partitions); their primary
keys there are (venue_id, id, scanned_at) and (venue_id, id, day). Django still addresses rows
by `id`, which the sequence keeps unique.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.core.error_codes import scan_reasons


class Direction(models.TextChoices):
    IN = "in", _("Vào")
    OUT = "out", _("Ra")


class Method(models.TextChoices):
    SELF = "self", _("Tự quét mã địa điểm")
    STAFF = "staff", _("Nhân viên quét")
    DEVICE = "device", _("Máy quét chuyên dụng")
    MANUAL = "manual", _("Nhập tay")


class Scan(models.Model):
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, db_constraint=False,
                              related_name="+")
    person = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL,
                               db_constraint=False, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    method = models.CharField(max_length=8, choices=Method.choices)
    code_format = models.CharField(max_length=16, blank=True)
    accepted = models.BooleanField(default=True)
    # Why a refused scan was refused: a scan refusal of the error catalogue, in full.
    reason = models.CharField(max_length=64, blank=True, choices=scan_reasons())
    scanned_at = models.DateTimeField()
    received_at = models.DateTimeField()
    nonce = models.CharField(max_length=64, null=True, blank=True)
    body_digest = models.CharField(max_length=64, blank=True)
    device = models.ForeignKey("venues.Device", null=True, blank=True, on_delete=models.SET_NULL,
                               db_constraint=False, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, db_constraint=False, related_name="+")
    response = models.JSONField(default=dict, blank=True)

    class Meta:
        # Idempotency by (venue, nonce) is kept by ScanNonce: on PostgreSQL this table is
        # partitioned by day (scans.partitions) and a unique constraint here would have to
        # include scanned_at, which a retry need not repeat.
        indexes = [
            models.Index(fields=["venue", "scanned_at"], name="scan_venue_time"),
            # The hot path reads a person's last scan at the venue on the same day.
            models.Index(fields=["venue", "person", "scanned_at"], name="scan_venue_person_time"),
            # Refused scans have a shorter retention: found without reading the accepted ones.
            models.Index(fields=["scanned_at"], condition=models.Q(accepted=False),
                         name="scan_refused_time"),
        ]


class ScanNonce(models.Model):
    """The client's nonce of a stored scan, unique per venue: retries answer the first scan.
    Inserted in the same statement as the scan (a CTE on PostgreSQL); purged with the scans."""

    pk = models.CompositePrimaryKey("venue_id", "nonce")
    venue_id = models.BigIntegerField()
    nonce = models.CharField(max_length=64)
    scan_id = models.BigIntegerField()
    scanned_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scanned_at"], name="scannonce_time")]


class Visit(models.Model):
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, db_constraint=False,
                              related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, db_constraint=False,
                               related_name="+")
    entered_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    # When an open visit counts as over: entry + the venue's default stay, or midnight.
    closes_at = models.DateTimeField()
    entry_method = models.CharField(max_length=8, blank=True)
    exit_method = models.CharField(max_length=8, blank=True)
    # The local calendar day of the visit's first scan: visits never cross midnight, so a day
    # is the unit that is re-derived when late scans arrive out of order.
    day = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["person", "entered_at"], name="visit_person_time"),
            # Tracing's contacts query reads only this index (PostgreSQL: index-only scans).
            models.Index(fields=["venue", "entered_at"], name="visit_venue_time_cover",
                         include=["id", "person", "left_at", "closes_at", "day"]),
            models.Index(fields=["venue", "person", "day"], name="visit_venue_person_day"),
            models.Index(fields=["venue", "day"], name="visit_venue_day"),
        ]
