"""Create the day partitions of scans and visits ahead of time (PostgreSQL; daily cron)."""

from __future__ import annotations

import math

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from kiemdich.scans import partitions


class Command(BaseCommand):
    help = ("Create the missing day partitions of scans and visits, from the late-scan window "
            "back to a week ahead (idempotent; does nothing on SQLite).")

    def handle(self, *args, **options):
        made = partitions.ensure_ahead(timezone.localdate(), back_days=math.ceil(
            settings.SCAN_MAX_AGE_HOURS / 24))
        self.stdout.write(f"Created {made} partition(s).")
