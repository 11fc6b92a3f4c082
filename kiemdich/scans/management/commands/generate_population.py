"""Fill the database with a generated province for the benchmarks (see kiemdich.loadgen)."""

from __future__ import annotations

import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from kiemdich import loadgen


class Bar:
    """A one-line progress bar on the terminal (plain lines when not a terminal)."""

    def __init__(self, out) -> None:
        self.out = out
        self.began = time.monotonic()
        self.shown = 0.0
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.began = stage, now
        if done < total and now - self.shown < 0.5:
            return
        self.shown = now
        share = done / total if total else 1.0
        rate = done / max(now - self.began, 0.5)
        left = (total - done) / rate if rate else 0
        filled = int(share * 30)
        line = (f"{stage:<18} [{'#' * filled}{'.' * (30 - filled)}] {share:6.1%} "
                f"{done:>12,}/{total:,}  {rate:,.0f}/s  ETA {left:,.0f} s")
        end = "\n" if done >= total or not sys.stdout.isatty() else ""
        self.out.write("\r" + line if sys.stdout.isatty() else line, ending=end)
        self.out.flush()


class Command(BaseCommand):
    help = ("Generate people (households per commune), venues (Zipf popularity), days of "
            "scans, visits and declarations, then refresh the statistics of those days.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, required=True)
        parser.add_argument("--venues", type=int, required=True)
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--scans-per-person-day", type=float, default=1.5)
        parser.add_argument("--province", default="75", help="province code (default 75)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--last-day", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        if min(options["people"], options["venues"], options["days"]) < 1:
            raise CommandError("--people, --venues and --days must be at least 1")
        try:
            last_day = date.fromisoformat(options["last_day"]) if options["last_day"] else None
        except ValueError as exc:
            raise CommandError(f"invalid --last-day: {exc}") from exc
        plan = loadgen.Plan(people=options["people"], venues=options["venues"],
                            days=options["days"],
                            scans_per_person_day=options["scans_per_person_day"],
                            province=options["province"], seed=options["seed"],
                            last_day=last_day)
        try:
            result = loadgen.generate(plan, Bar(self.stdout))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Generated {result.people:,} people ({result.users:,} accounts), "
            f"{result.venues:,} venues ({result.devices:,} readers), {result.scans:,} scans, "
            f"{result.visits:,} visits, {result.declarations:,} declarations "
            f"({result.alerts:,} alerts) for {result.first_day}…{result.last_day} "
            f"in {result.seconds:,.0f} s.")
