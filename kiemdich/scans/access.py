"""Who is scanning, and at which venue: the venue lookup of the hot path, cached in-process.

A reader or a staff phone sends scan after scan to the same venue, so the venue and its staff
phones are kept for VENUE_CACHE_SECONDS. Saving a venue or its staff clears the caches of
every server process at once (kiemdich.core.invalidation); and a refusal is never answered from the
cache: the venue is read again first, so a staff member added a moment ago through another
server is accepted at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from kiemdich.accounts.auth import user_for_token
from kiemdich.accounts.models import User
from kiemdich.accounts.scopes import Scope, scope_of
from kiemdich.core.caching import ProcessCache
from kiemdich.core.errors import NotFound
from kiemdich.venues import access as venue_access
from kiemdich.venues.models import Device, Venue, VenueStaff

VENUE_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class _Entry:
    venue: Venue
    staff_phones: frozenset[str]


_venues: ProcessCache[_Entry] = ProcessCache(VENUE_CACHE_SECONDS)


def _load(venue_id: int) -> _Entry | None:
    venue = Venue.objects.filter(pk=venue_id, status=Venue.Status.ACTIVE).first()
    if venue is None:
        return None
    phones = frozenset(VenueStaff.objects.filter(venue_id=venue_id)
                       .values_list("phone", flat=True))
    return _Entry(venue, phones)


def _entry(venue_id: int, fresh: bool = False) -> _Entry | None:
    entry = None if fresh else _venues.get(venue_id)
    if entry is None:
        entry = _load(venue_id)
        if entry is not None:
            _venues.put(venue_id, entry)
    return entry


def forget(venue_id: int | None = None) -> None:
    """Drop one venue (or all) from this process's cache."""
    _venues.forget(venue_id)


@dataclass(frozen=True)
class Scanner:
    """The staff member or dedicated reader sending scans."""

    user: User | None
    device: Device | None

    @property
    def actor(self) -> User | str:
        """What the audit trail records as the actor."""
        if self.user is not None:
            return self.user
        assert self.device is not None  # one of the two sends every scan
        return f"device:{self.device.pk}"


def _not_found() -> NotFound:
    return NotFound(code="venue_unknown")


def _allowed_entry(scope: Scope, venue_id: int) -> _Entry:
    """The venue's entry if this person may scan (or watch) there; a refusal is confirmed
    from the database."""
    entry = _entry(venue_id)
    if entry is not None and venue_access.may_scan_at(scope, entry.venue, entry.staff_phones):
        return entry
    entry = _entry(venue_id, fresh=True)
    if entry is None or not venue_access.may_scan_at(scope, entry.venue, entry.staff_phones):
        raise _not_found()
    return entry


def venue_for_device(device: Device, venue_id: int) -> Venue | None:
    """The venue a reader scans at, if it is this one (active), else None."""
    entry = _entry(venue_id)
    if entry is None or device.venue_id != venue_id:
        return None
    return entry.venue


def scanning_venue(request: HttpRequest, venue_id: int) -> tuple[Venue, Scanner]:
    """The venue if the caller may scan there — a reader only at its own venue, a person if
    they own or staff it — else 404 (an unknown id and a foreign venue look the same)."""
    device = getattr(request, "device", None)
    if device is not None:
        venue = venue_for_device(device, venue_id)
        if venue is None:
            raise _not_found()
        return venue, Scanner(None, device)
    scope = scope_of(request)
    return _allowed_entry(scope, venue_id).venue, Scanner(scope.user, None)


def may_still_watch(venue_id: int, scanner: Scanner, api_token: str | None) -> bool:
    """Whether an open live stream's viewer may still watch, read from the database (no
    cache): the reader is not revoked, or the person still owns or staffs the venue and, when
    they came with a token, it is still valid."""
    entry = _entry(venue_id, fresh=True)
    if entry is None:
        return False
    if scanner.device is not None:
        return Device.objects.filter(pk=scanner.device.pk, venue_id=venue_id,
                                     revoked_at__isnull=True).exists()
    if api_token is not None:
        user = user_for_token(api_token)
    elif scanner.user is not None:
        user = User.objects.filter(pk=scanner.user.pk, is_active=True).first()
    else:
        user = None
    return user is not None and venue_access.may_scan_at(Scope(user), entry.venue,
                                                         entry.staff_phones)
