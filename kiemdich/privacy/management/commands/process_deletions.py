from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kiemdich.privacy.retention import exclusive_run
from kiemdich.privacy.services import process_deletions


class Command(BaseCommand):
    help = "Carry out pending account deletion requests (due within 72 hours of the request)."

    def handle(self, *args: Any, **options: Any) -> None:
        with exclusive_run() as acquired:
            if not acquired:
                raise CommandError("a purge_expired run is in progress")
            done = process_deletions()
        self.stdout.write(self.style.SUCCESS(f"deletion requests processed: {done}"))
