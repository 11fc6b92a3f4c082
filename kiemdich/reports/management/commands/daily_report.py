"""Write the daily report of an area (PDF + XLSX) into a folder, for a scheduler."""

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiemdich.areas.services import resolve_area
from kiemdich.core import clock
from kiemdich.core.errors import DomainError
from kiemdich.reports import daily, rollups, stats


class Command(BaseCommand):
    help = "Write the day's report of an area as PDF and XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--area", required=True, help="area code, e.g. 75 or 731")
        parser.add_argument("--date", help="day YYYY-MM-DD (default: today)")
        parser.add_argument("--out", required=True, help="folder to write the files into")
        parser.add_argument("--refresh", action="store_true",
                            help="refresh that day's rollups first")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else \
                clock.today()
            area = resolve_area(options["area"])
        except (ValueError, DomainError) as exc:
            raise CommandError(str(exc)) from exc
        if options["refresh"]:
            rollups.refresh(since=day, until=day)
        result = stats.compute(stats.StatsQuery(area, day, day, None))
        report = daily.build(result)
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for ext, render in (("pdf", daily.pdf), ("xlsx", daily.xlsx)):
            path = out / daily.filename(result, ext)
            path.write_bytes(render(report))
            self.stdout.write(str(path))
