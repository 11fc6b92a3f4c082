"""Fill the database with a generated province for the benchmarks (bench/loadgen.py).

    .venv/bin/python bench/generate.py --people N --venues M [--days D]
        [--scans-per-person-day K] [--province 75] [--seed 1] [--last-day YYYY-MM-DD]

against the database of DATABASE_URL (`make bench` calls `population` itself). The generator
lives here, beside the benchmarks that use it, not in the application package: a server never
runs it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bench.loadgen import Plan


class Bar:
    """A one-line progress bar on the terminal (plain lines when not a terminal)."""

    def __init__(self, out: TextIO) -> None:
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
        tty = self.out.isatty()
        self.out.write(("\r" + line) if tty else line + "\n")
        if tty and done >= total:
            self.out.write("\n")
        self.out.flush()


def plan_from(argv: list[str]) -> Plan:
    """The plan the command line asks for; ValueError on a size below 1 or a bad day."""
    from bench.loadgen import Plan

    parser = argparse.ArgumentParser(description=(
        "Generate people (households per commune), venues (Zipf popularity), days of scans, "
        "visits and declarations, then refresh the statistics of those days."))
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--venues", type=int, required=True)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--scans-per-person-day", type=float, default=1.5)
    parser.add_argument("--province", default="75", help="province code (default 75)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--last-day", help="YYYY-MM-DD (default: today)")
    args = parser.parse_args(argv)
    if min(args.people, args.venues, args.days) < 1:
        raise ValueError("--people, --venues and --days must be at least 1")
    try:
        last_day = date.fromisoformat(args.last_day) if args.last_day else None
    except ValueError as exc:
        raise ValueError(f"invalid --last-day: {exc}") from exc
    return Plan(people=args.people, venues=args.venues, days=args.days,
                scans_per_person_day=args.scans_per_person_day, province=args.province,
                seed=args.seed, last_day=last_day)


def population(plan: Plan, out: TextIO = sys.stdout) -> str:
    """Generate `plan` (Django set up) with a progress bar on `out`; the closing summary."""
    from bench import loadgen

    result = loadgen.generate(plan, Bar(out))
    summary = (
        f"Generated {result.people:,} people ({result.users:,} accounts), "
        f"{result.venues:,} venues ({result.devices:,} readers), {result.scans:,} scans, "
        f"{result.visits:,} visits, {result.declarations:,} declarations "
        f"({result.alerts:,} alerts) for {result.first_day}…{result.last_day} "
        f"in {result.seconds:,.0f} s.")
    out.write(summary + "\n")
    return summary


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
    import django

    django.setup()  # before the generator's imports: they read the models
    try:
        plan = plan_from(argv)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        population(plan)
    except ValueError as exc:  # e.g. a province without communes
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Run as a script: the checkout's packages (kiemdich, bench) are what is imported.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main(sys.argv[1:]))
