"""What the venues app holds about a person: the venues an account owns (with a contact
phone), the staff of a venue by phone, who enrolled a reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from kiemdich.core.errors import Conflict
from kiemdich.core.personal_data import Holder, Purge, register
from kiemdich.venues.models import Venue, VenueStaff

if TYPE_CHECKING:
    from kiemdich.accounts.models import User


def _refuse_erasure(account: User | None) -> Exception | None:
    if account is not None and Venue.objects.filter(owner=account).exists():
        return Conflict(code="account_owns_venues")
    return None


def _purge(run: Purge) -> None:
    # An open venue's staff list is the owner's to keep. A closed venue's phones scan
    # nowhere: kept as long as the scans made there, for an owner who opens it again.
    run.delete("venue_staff", VenueStaff.objects.filter(
        venue__status=Venue.Status.CLOSED,
        venue__closed_at__lt=run.cutoff(settings.RETENTION_SCANS_DAYS)))


register(Holder(
    app="venues",
    models={
        "venues.Venue": "the owner and a contact phone; an owner's account is not erased "
                        "until the venues are handed over (PROTECT)",
        "venues.VenueStaff": "a venue's staff by phone: the owner's list, removed by the "
                             "owner; purged RETENTION_SCANS_DAYS after the venue closed",
        "venues.Device": "who enrolled a reader; the reference goes with the account",
    },
    purge=_purge, refuse_erasure=_refuse_erasure,
))
