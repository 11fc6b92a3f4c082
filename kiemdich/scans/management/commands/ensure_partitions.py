"""Create the day partitions of scans and visits ahead (PostgreSQL; job partitions.ahead)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kiemdich.scans import partitions


class Command(BaseCommand):
    help = ("Create the missing day partitions of scans and visits, from the late-scan window "
            "back to a week ahead (idempotent; does nothing on SQLite).")

    def handle(self, *args: Any, **options: Any) -> None:
        made = partitions.ensure_ahead()
        self.stdout.write(f"Created {made} partition(s).")
