"""The audit trail (append-only, chained by hashes, never holding personal data itself),
account deletion requests, and flags raised by the abuse checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    at = models.DateTimeField(db_index=True)
    # DO_NOTHING: the entry keeps the id of an actor whose account was later deleted, and a
    # SET_NULL would be an UPDATE that both the trigger and the hash chain forbid.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        related_name="+", db_constraint=False,
    )
    actor_label = models.CharField(max_length=64, blank=True)
    # The actor as the auditors read it, as it was at the time (a grant revoked or an account
    # deleted later does not change what the entry says): roles with their area codes, and
    # the name of a staff account (citizens stay an account id: no citizen's name in a trail
    # that is never purged).
    actor_role = models.CharField(max_length=200, blank=True)
    actor_name = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=128, blank=True, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # sha256(previous hash + this entry's canonical text): altering or deleting any row
    # breaks every hash after it, which `verify_audit` reports.
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("nhật ký truy cập")
        verbose_name_plural = _("nhật ký truy cập")
        ordering = ["-id"]


class DeletionRequest(models.Model):
    """An account holder's request to erase the account and its people's data (72 hours)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Đang chờ xử lý")
        # Carried out except for records an open case still holds; re-checked on each run.
        HELD = "held", _("Đã xóa, trừ dữ liệu đang phục vụ truy vết")
        DONE = "done", _("Đã xóa")

    # No constraint: the request outlives the account it erased, as proof it was carried out.
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.DO_NOTHING, db_constraint=False,
                                related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    held_people = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("yêu cầu xóa tài khoản")
        verbose_name_plural = _("yêu cầu xóa tài khoản")


class Flag(models.Model):
    """A suspicious check-in pattern at a venue, for the officers of its area to review."""

    class Kind(models.TextChoices):
        MASS = "mass", _("Nhiều lượt quét bất thường trong một phút")
        REMOTE = "remote", _("Quét từ xa địa điểm")

    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, db_constraint=False,
                              related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, db_constraint=False,
                                related_name="+")
    # Figures only (counts, distance), never personal data.
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("cảnh báo bất thường")
        verbose_name_plural = _("cảnh báo bất thường")
        ordering = ["-created_at"]
