"""Venue types (DOMAIN.md), each fixing its sector, with a default length of stay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class VenueType:
    key: str
    sector: str
    label: StrOrPromise
    default_stay_minutes: int
    is_vehicle: bool = False


_TYPES = [
    VenueType("hospital", "health", _("Bệnh viện"), 120),
    VenueType("health_centre", "health", _("Trung tâm y tế"), 90),
    VenueType("clinic", "health", _("Phòng khám"), 60),
    VenueType("pharmacy", "health", _("Nhà thuốc"), 15),
    VenueType("bus_station", "transport", _("Bến xe"), 60),
    VenueType("ferry_terminal", "transport", _("Bến phà"), 60),
    VenueType("transport_company", "transport", _("Doanh nghiệp vận tải"), 240),
    VenueType("bus", "transport", _("Xe buýt"), 60, True),
    VenueType("coach", "transport", _("Xe khách"), 240, True),
    VenueType("ferry", "transport", _("Phà"), 45, True),
    VenueType("market", "trade", _("Chợ"), 60),
    VenueType("supermarket", "trade", _("Siêu thị"), 60),
    VenueType("shop", "trade", _("Cửa hàng"), 30),
    VenueType("restaurant", "trade", _("Nhà hàng, quán ăn"), 90),
    VenueType("school", "education", _("Trường học"), 300),
    VenueType("vocational_school", "education", _("Trường nghề"), 300),
    VenueType("college", "education", _("Trường cao đẳng"), 300),
    VenueType("university", "education", _("Trường đại học"), 300),
    VenueType("enterprise", "labour", _("Doanh nghiệp"), 480),
    VenueType("factory", "labour", _("Nhà máy"), 480),
    VenueType("industrial_park", "labour", _("Khu công nghiệp"), 480),
    VenueType("agency", "government", _("Cơ quan"), 480),
    VenueType("public_office", "government", _("Công sở"), 120),
    VenueType("commune_office", "government", _("UBND xã/phường"), 60),
    VenueType("quarantine_checkpoint", "quarantine", _("Chốt kiểm dịch"), 15),
    VenueType("quarantine_site", "quarantine", _("Khu cách ly tập trung"), 1440),
    VenueType("lockdown_gate", "quarantine", _("Cổng khu phong tỏa"), 15),
    VenueType("religious_site", "other", _("Cơ sở tôn giáo"), 90),
    VenueType("event_venue", "other", _("Địa điểm sự kiện"), 180),
    VenueType("residential_block", "other", _("Khu dân cư"), 60),
    VenueType("other", "other", _("Khác"), 60),
]

VENUE_TYPES: dict[str, VenueType] = {t.key: t for t in _TYPES}
VENUE_TYPE_CHOICES = [(t.key, t.label) for t in _TYPES]
