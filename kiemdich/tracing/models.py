"""F0 cases, the notices sent to their contacts, and the pauses that stop notices in an area.

Visits are read from `scans.Visit`; a case only stores what the health officer decided (the
look-back window and the margin), so re-running the tracing always reflects the latest scans.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Đang truy vết")
        CLOSED = "closed", _("Đã đóng")

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("F0"))
    # Where the F0 lives (or, unknown, where they were last seen): decides which health
    # officers see the case besides its creator.
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    confirmed_at = models.DateTimeField(_("ngày xét nghiệm dương tính"))
    onset_at = models.DateTimeField(_("ngày khởi phát triệu chứng"), null=True, blank=True)
    window_start = models.DateTimeField(_("truy vết từ"))
    window_end = models.DateTimeField(_("truy vết đến"))
    margin_minutes = models.PositiveIntegerField(_("biên thời gian (phút)"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("ca bệnh")
        verbose_name_plural = _("ca bệnh")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="case_status_time")]

    def __str__(self) -> str:
        return f"F0 #{self.pk}"


class NoticeBatch(models.Model):
    """Notices chosen together; large ones wait for a second health officer's approval."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ phê duyệt")
        READY = "ready", _("Sẵn sàng gửi")
        SENT = "sent", _("Đã gửi")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="batches")
    person_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices)
    needs_approval = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def size(self) -> int:
        return len(self.person_ids)


class Notice(models.Model):
    """One exposure notice to one person: shown in the app of their account, and by SMS."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    batch = models.ForeignKey(NoticeBatch, on_delete=models.CASCADE, related_name="notices")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    # The account that sees it: the person's own, or the one that manages the dependant.
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="+")
    exposed_from = models.DateTimeField()
    exposed_until = models.DateTimeField()
    sms_sent = models.BooleanField(default=False)
    sent_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            # A contact is warned once per case, whatever batch picks them again.
            models.UniqueConstraint(fields=["case", "person"], name="notice_once_per_case"),
        ]
        indexes = [models.Index(fields=["account", "sent_at"], name="notice_account_time")]


class NoticePause(models.Model):
    """A pause of exposure notices to the people and venues of one area and everything under
    it (no area: the whole country). Kept in the database so it takes effect at once on every
    process; a resumed pause stays as the record of who paused, when and why."""

    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    reason = models.CharField(_("lý do"), max_length=500)
    paused_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    paused_at = models.DateTimeField(auto_now_add=True)
    resumed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    resumed_at = models.DateTimeField(null=True, blank=True)
    resume_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-paused_at", "-pk"]
        constraints = [
            # One pause in force per area, the country's (no area) included: NULLs never
            # collide in a unique index, 0 does.
            models.UniqueConstraint(Coalesce("area", Value(0)),
                                    condition=models.Q(resumed_at__isnull=True),
                                    name="one_active_pause_per_area"),
        ]

    @property
    def active(self) -> bool:
        return self.resumed_at is None


class CaseRequest(models.Model):
    """A health officer's request to open a case for a person outside their area, waiting for
    a health officer of that area. Made alike whether or not the platform knows the person
    (then `person` is empty and nobody can approve it), so the answer tells the requester
    nothing about a phone or ID number they do not already have the right to see."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ địa bàn phê duyệt")
        APPROVED = "approved", _("Đã được phê duyệt")
        REFUSED = "refused", _("Bị từ chối")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    # The area whose health officers decide: where the person lives, or was last seen.
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    confirmed_at = models.DateTimeField()
    onset_at = models.DateTimeField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    margin_minutes = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "area"], name="case_request_pending")]
