from django.core.management.base import BaseCommand, CommandError

from kiemdich.privacy.retention import exclusive_run, purge_expired
from kiemdich.privacy.services import process_deletions


class Command(BaseCommand):
    help = ("Carry out account deletion requests, then delete every record past its retention "
            "(RETENTION_*_DAYS), keeping what open cases hold. Safe to run from a scheduler.")

    def add_arguments(self, parser):
        parser.add_argument("--skip-deletions", action="store_true",
                            help="only apply retention, leave deletion requests for later")

    def handle(self, *args, **options):
        with exclusive_run() as acquired:
            if not acquired:
                raise CommandError("another purge_expired run is in progress")
            if not options["skip_deletions"]:
                done = process_deletions(progress=self._progress)
                self.stdout.write(f"deletion requests processed: {done}")
            counts = purge_expired(progress=self._progress)
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count} deleted")
        self.stdout.write(self.style.SUCCESS("purge complete"))

    def _progress(self, kind: str, done: int) -> None:
        self.stdout.write(f"  {kind}: {done}…")
        self.stdout.flush()
