from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiemdich.privacy.services import purge


class Command(BaseCommand):
    help = ("Carry out account deletion requests, then delete every record past its retention "
            "(RETENTION_*_DAYS), keeping what open cases hold. The job privacy.purge runs it "
            "hourly.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--skip-deletions", action="store_true",
                            help="only apply retention, leave deletion requests for later")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = purge(deletions=not options["skip_deletions"], progress=self._progress)
        if counts is None:
            raise CommandError("another purge_expired run is in progress")
        for kind, count in counts.items():
            self.stdout.write(f"deletion requests processed: {count}"
                              if kind == "deletion_requests" else f"{kind}: {count} deleted")
        self.stdout.write(self.style.SUCCESS("purge complete"))

    def _progress(self, kind: str, done: int) -> None:
        self.stdout.write(f"  {kind}: {done}…")
        self.stdout.flush()
