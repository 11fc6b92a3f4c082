"""What a day is: the deployment's calendar days, in settings.TIME_ZONE.

Scans and visits, their partitions, the statistics' rollups, "declared today" and the expiry
of personal codes all cut time at local midnight. They all ask this module, so a deployment
in another zone (TIME_ZONE) has one notion of a day, never one per module.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


@functools.cache
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The deployment's zone (TIME_ZONE; Asia/Ho_Chi_Minh unless configured)."""
    return _zone_named(settings.TIME_ZONE)


def local_day(moment: datetime | None = None) -> date:
    """The local calendar day of an aware moment (default: now)."""
    return (moment or timezone.now()).astimezone(zone()).date()


def today() -> date:
    return local_day()


def at(day: date, clock_time: time = time.min) -> datetime:
    """The aware instant of a local day at a local time of day."""
    return datetime.combine(day, clock_time, tzinfo=zone())


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day as aware instants."""
    return at(day), at(day + timedelta(days=1))
