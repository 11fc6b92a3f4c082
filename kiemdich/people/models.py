"""People an account manages (itself and dependants), and people known only from a scanned
national QR or chip ID card, so that tracing finds everyone through one table."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.people.codes import PUBLIC_ID_FLOOR

_PUBLIC_ID_CEILING = 2**63


def random_public_id() -> int:
    return PUBLIC_ID_FLOOR + secrets.randbelow(_PUBLIC_ID_CEILING - PUBLIC_ID_FLOOR)


class Person(models.Model):
    class Gender(models.TextChoices):
        MALE = "male", _("Nam")
        FEMALE = "female", _("Nữ")
        OTHER = "other", _("Khác")

    class Source(models.TextChoices):
        ACCOUNT = "account", _("Tài khoản")
        SCANNED = "scanned", _("Quét giấy tờ")
        MANUAL = "manual", _("Nhập tay tại địa điểm")

    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.CASCADE, related_name="people")
    # What the personal QR code names (the subject): random, so codes cannot be enumerated or
    # tell when an account was made. The primary key never leaves the server in a masked view.
    public_id = models.BigIntegerField(unique=True, default=random_public_id, editable=False)
    is_self = models.BooleanField(default=False)
    relationship = models.CharField(_("quan hệ"), max_length=40, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ACCOUNT)
    full_name = models.CharField(_("họ và tên"), max_length=120, blank=True)
    birth_date = models.DateField(_("ngày sinh"), null=True, blank=True)
    gender = models.CharField(_("giới tính"), max_length=10, choices=Gender.choices, blank=True)
    # ID numbers are sensitive: kept encrypted, and found through a keyed digest.
    id_number_cipher = models.TextField(blank=True)
    id_number_digest = models.CharField(max_length=64, blank=True, db_index=True)
    id_kind = models.CharField(max_length=10, blank=True)
    phone = models.CharField(_("số điện thoại"), max_length=16, blank=True, db_index=True)
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT,
                             verbose_name=_("xã/phường"))
    street = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    nationality = models.CharField(_("quốc tịch"), max_length=60, default="VN")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("người")
        verbose_name_plural = _("người")
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=models.Q(is_self=True),
                                    name="one_self_per_account"),
        ]

    def __str__(self) -> str:
        return self.full_name or f"#{self.pk}"


class Credential(models.Model):
    """A printed personal QR card: long-lived, so it has a serial and can be revoked."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="credentials")
    serial = models.PositiveBigIntegerField(unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")


class Consent(models.Model):
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="consents")
    version = models.CharField(max_length=20)
    given_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)


class SigningKey(models.Model):
    """An Ed25519 key that signs personal QR codes, in the database so that every app server
    signs and verifies with the same keys (kiemdich.people.keys).

    The unsuperseded key of the highest generation signs; every key not retired verifies until
    `verify_until`, when the last code it can have signed has expired. `generation` is unique,
    so two servers that both find no key, or two rotations at once, cannot both add one.
    """

    generation = models.PositiveIntegerField(unique=True)
    kid = models.CharField(max_length=4, unique=True)
    public_key = models.CharField(max_length=44)  # standard base64 of the raw 32 bytes
    # Fernet token under KEY_ENCRYPTION_KEY of the raw 32-byte private key; empty once retired.
    private_key = models.TextField(blank=True)
    created_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    verify_until = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.kid
