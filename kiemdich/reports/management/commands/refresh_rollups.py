"""The periodic job that keeps the statistics current (run it every few minutes)."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiemdich.reports import rollups


class Command(BaseCommand):
    help = "Recompute the statistics rollups for the recent days (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="first day YYYY-MM-DD (default: the late-scan "
                                            "window, SCAN_MAX_AGE_HOURS back)")
        parser.add_argument("--until", help="last day YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            since = date.fromisoformat(options["since"]) if options["since"] else None
            until = date.fromisoformat(options["until"]) if options["until"] else None
        except ValueError as exc:
            raise CommandError(f"invalid date: {exc}") from exc
        days = rollups.refresh(since=since, until=until)
        self.stdout.write(f"Refreshed {days} day(s).")
