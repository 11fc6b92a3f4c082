"""Places that register one entry/exit QR code, their staff phones and dedicated readers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import Sector
from kiemdich.venues.types import VENUE_TYPE_CHOICES, VENUE_TYPES


class Venue(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Đang hoạt động")
        CLOSED = "closed", _("Đã đóng")

    code = models.CharField(_("mã QR"), max_length=24, unique=True)
    name = models.CharField(_("tên địa điểm"), max_length=200)
    venue_type = models.CharField(_("loại hình"), max_length=32, choices=VENUE_TYPE_CHOICES)
    sector = models.CharField(_("lĩnh vực"), max_length=20, choices=Sector.choices)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, verbose_name=_("xã/phường"))
    street = models.CharField(_("địa chỉ"), max_length=255)
    # Lower-cased, accent-free commune + street (a vehicle: its plate), and that plus the
    # name: the keys of the one-code-per-place rule (see codes.py and the constraints below).
    address_key = models.CharField(max_length=300, editable=False, default="")
    place_key = models.CharField(max_length=500, db_index=True, editable=False)
    business_reg_no = models.CharField(_("mã số doanh nghiệp"), max_length=32, blank=True,
                                       db_index=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    contact_phone = models.CharField(_("điện thoại liên hệ"), max_length=16, blank=True)
    default_stay_minutes = models.PositiveIntegerField(_("thời gian lưu lại mặc định (phút)"))
    opening_hours = models.CharField(_("giờ mở cửa"), max_length=200, blank=True)
    vehicle_plate = models.CharField(_("biển số"), max_length=20, blank=True)
    vehicle_route = models.CharField(_("tuyến"), max_length=200, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="venues")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Since when it is closed: its staff phones are kept RETENTION_SCANS_DAYS after, for an
    # owner who opens it again (venues' holder, personal_data.py).
    closed_at = models.DateTimeField(null=True, blank=True)
    is_special = models.BooleanField(_("được xem đầy đủ thông tin"), default=False)
    special_reason = models.CharField(max_length=500, blank=True)
    special_granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("địa điểm")
        verbose_name_plural = _("địa điểm")
        indexes = [models.Index(fields=["area", "sector"], name="venue_area_sector")]
        # The database keeps the rule even when two registrations race each other.
        constraints = [
            models.UniqueConstraint(fields=["place_key"], condition=Q(status="active"),
                                    name="venue_one_active_place"),
            models.UniqueConstraint(fields=["business_reg_no", "address_key"],
                                    condition=Q(status="active") & ~Q(business_reg_no=""),
                                    name="venue_one_active_business_address"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def checkin_url(self) -> str:
        """What the poster's QR code encodes."""
        return f"{settings.PUBLIC_BASE_URL}/v/{self.code}"

    @property
    def is_vehicle(self) -> bool:
        return VENUE_TYPES[self.venue_type].is_vehicle


class RetiredCode(models.Model):
    """A code replaced by rotation: its poster opens a "no longer valid" page."""

    code = models.CharField(max_length=24, unique=True)
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="retired_codes")
    retired_at = models.DateTimeField(auto_now_add=True)


class VenueStaff(models.Model):
    """A phone the owner authorised to scan at this venue (an account may not exist yet)."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="staff")
    phone = models.CharField(max_length=16, db_index=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["venue", "phone"], name="staff_unique")]


class Device(models.Model):
    """A dedicated QR reader, or a staff phone signed in as the venue's kiosk for a shift.
    Its token is shown once; only the SHA-256 is kept."""

    class Kind(models.TextChoices):
        READER = "reader", _("Máy quét chuyên dụng")
        KIOSK = "kiosk", _("Điện thoại quét mã (theo ca)")

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.READER)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A kiosk holds for one shift; a reader until it is revoked.
    expires_at = models.DateTimeField(null=True, blank=True)
    # Who signed the kiosk in: its scans are theirs to answer for.
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
