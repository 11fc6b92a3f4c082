"""Accounts are phone numbers; roles are grants over an area subtree, a sector or a venue."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.phones import normalize_phone


class UserManager(BaseUserManager["User"]):
    def create_user(self, phone: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(phone=normalize_phone(phone), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    phone = models.CharField(_("số điện thoại"), max_length=16, unique=True)
    display_name = models.CharField(_("tên hiển thị"), max_length=120, blank=True)
    preferred_language = models.CharField(max_length=8, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = _("tài khoản")

    def __str__(self) -> str:
        return self.phone


class Role(models.TextChoices):
    OFFICER = "officer", _("Cán bộ địa bàn")
    HEALTH_OFFICER = "health_officer", _("Cán bộ y tế")
    INSPECTOR = "inspector", _("Thanh tra")
    ADMIN = "admin", _("Quản trị")
    AUDITOR = "auditor", _("Kiểm toán")


class Sector(models.TextChoices):
    HEALTH = "health", _("Y tế")
    TRANSPORT = "transport", _("Giao thông vận tải")
    TRADE = "trade", _("Công thương")
    EDUCATION = "education", _("Giáo dục")
    LABOUR = "labour", _("Lao động - Khu công nghiệp")
    GOVERNMENT = "government", _("Cơ quan nhà nước")
    QUARANTINE = "quarantine", _("Cách ly - Kiểm dịch")
    OTHER = "other", _("Khác")


class Grant(models.Model):
    """A role held over an area subtree (none = the whole country), optionally one sector."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=20, choices=Role.choices)
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT)
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quyền")
        verbose_name_plural = _("quyền")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area", "sector"], name="grant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.area or '*'} {self.sector or '*'}"


class OneTimeCode(models.Model):
    """A login code sent by SMS. Only its hash is kept; it is bound to one phone."""

    phone = models.CharField(max_length=16, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ip", "created_at"], name="otp_ip_time")]


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class SmsMessage(models.Model):
    """One SMS to send: the outbox row the job queue delivers (kiemdich.accounts.sms).

    Its id goes to the gateway as the idempotency key, so a delivery repeated after a worker
    died between the gateway's answer and our commit is recognised by the gateway; the row's
    status makes a delivery after success a no-op. The text (which may hold a login code) is
    blanked once the message is sent or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Đang chờ gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Không gửi được")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone = models.CharField(max_length=16)
    text = models.TextField(blank=True)
    # What the message is for ("otp", "notice", ...) and, for some, what it is about: the
    # delivery tells the owner of `purpose` (sms.on_delivered).
    purpose = models.CharField(max_length=16)
    ref = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # No attempt after this (a login code is worthless once expired).
    expires_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A delivery in progress holds the message until then (one sender at a time).
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="sms_due"),
                   models.Index(fields=["created_at"], name="sms_created")]
