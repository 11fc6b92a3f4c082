"""What the venues app holds about a person: the venues an account owns (with a contact
phone), the staff of a venue by phone, who enrolled a reader."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiemdich.core.errors import Conflict
from kiemdich.core.personal_data import Holder, register


def _refuse_erasure(account) -> Exception | None:
    from kiemdich.venues.models import Venue

    if account is not None and Venue.objects.filter(owner=account).exists():
        return Conflict(_("Tài khoản đang quản lý địa điểm: hãy chuyển giao hoặc đóng địa "
                          "điểm trước khi xóa tài khoản."), code="account_owns_venues")
    return None


register(Holder(
    app="venues",
    models={
        "venues.Venue": "the owner and a contact phone; an owner's account is not erased "
                        "until the venues are handed over (PROTECT)",
        "venues.VenueStaff": "a venue's staff by phone: the owner's list, removed by the owner",
        "venues.Device": "who enrolled a reader; the reference goes with the account",
    },
    refuse_erasure=_refuse_erasure,
))
