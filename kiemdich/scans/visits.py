"""Visits (entry–exit intervals) derived from accepted scans.

The rules, applied to one person's accepted scans at one venue on one local day, in scan-time
order (`step` is the whole rule; `fold` applies it to a day):

- a scan in the same direction as the person's previous scan there, within
  SCAN_REPEAT_WINDOW_SECONDS, is a repeat: stored, answered, but no new visit;
- an entry opens a visit that counts as over after the venue's default stay, and never later
  than the next local midnight (visits never cross a day, which makes the day the unit that is
  re-derived when a late scan arrives);
- an exit closes the latest visit of that day if it is still open, however long ago it began
  (the default stay only bounds visits nobody closed); otherwise the exit is kept as an
  exit-only visit (no entry time).

The ingest applies `step` incrementally to scans that arrive in order (the steady state, one
write) and re-derives the whole day with `fold` when a scan arrives older than the newest one
already stored, so an offline batch uploaded in any order gives the same visits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from django.conf import settings

from kiemdich.core.clock import day_bounds, local_day
from kiemdich.scans.models import Direction


class Action(Enum):
    REPEAT = "repeat"  # no change to visits
    OPEN = "opened"  # a new visit from this entry
    CLOSE = "closed"  # the latest visit of the day gets this exit
    EXIT_ONLY = "exit_only"  # an exit nobody's entry matches


@dataclass(frozen=True)
class ScanPoint:
    at: datetime
    direction: str
    method: str


@dataclass
class VisitDraft:
    entered_at: datetime | None
    left_at: datetime | None
    closes_at: datetime
    entry_method: str
    exit_method: str
    day: date


def closes_at(entered_at: datetime, stay_minutes: int) -> datetime:
    """Entry + the default stay, capped at the next local midnight."""
    midnight = day_bounds(local_day(entered_at))[1]
    return min(entered_at + timedelta(minutes=stay_minutes), midnight)


def step(previous: ScanPoint | None, latest_visit_open: bool, scan: ScanPoint) -> Action:
    """What one scan does to the visits, given the person's previous scan that day and
    whether the latest visit of that day is still open."""
    window = timedelta(seconds=settings.SCAN_REPEAT_WINDOW_SECONDS)
    if previous is not None and previous.direction == scan.direction \
            and scan.at - previous.at <= window:
        return Action.REPEAT
    if scan.direction == Direction.IN:
        return Action.OPEN
    return Action.CLOSE if latest_visit_open else Action.EXIT_ONLY


def new_visit(action: Action, scan: ScanPoint, stay_minutes: int) -> VisitDraft:
    if action is Action.OPEN:
        return VisitDraft(entered_at=scan.at, left_at=None,
                          closes_at=closes_at(scan.at, stay_minutes), entry_method=scan.method,
                          exit_method="", day=local_day(scan.at))
    return VisitDraft(entered_at=None, left_at=scan.at, closes_at=scan.at, entry_method="",
                      exit_method=scan.method, day=local_day(scan.at))


def fold(scans: Iterable[ScanPoint], stay_minutes: int) -> list[VisitDraft]:
    """The visits of one person at one venue on one day, from its scans in time order."""
    visits: list[VisitDraft] = []
    previous: ScanPoint | None = None
    for scan in scans:
        latest_open = bool(visits) and visits[-1].entered_at is not None \
            and visits[-1].left_at is None
        action = step(previous, latest_open, scan)
        previous = scan
        if action is Action.CLOSE:
            visits[-1].left_at = visits[-1].closes_at = scan.at
            visits[-1].exit_method = scan.method
        elif action is not Action.REPEAT:
            visits.append(new_visit(action, scan, stay_minutes))
    return visits
