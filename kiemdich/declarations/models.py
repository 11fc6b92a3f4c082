"""Health declarations (the fields of the domestic form) and the alerts symptoms raise."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SYMPTOMS = ("fever", "cough", "shortness_of_breath", "pneumonia", "sore_throat", "fatigue")
EXPOSURES = ("contact_case", "contact_from_outbreak", "contact_symptomatic")


class Declaration(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE,
                               related_name="declarations")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    # The local calendar day (TIME_ZONE): "declared today" is an index lookup.
    local_date = models.DateField(db_index=True)
    area = models.ForeignKey("areas.Area", null=True, on_delete=models.PROTECT)
    language = models.CharField(max_length=5, default="vi")
    visited_places = models.BooleanField(default=False)
    visited_places_text = models.CharField(max_length=500, blank=True)
    fever = models.BooleanField(_("sốt"), default=False)
    cough = models.BooleanField(_("ho"), default=False)
    shortness_of_breath = models.BooleanField(_("khó thở"), default=False)
    pneumonia = models.BooleanField(_("viêm phổi"), default=False)
    sore_throat = models.BooleanField(_("đau họng"), default=False)
    fatigue = models.BooleanField(_("mệt mỏi"), default=False)
    other_symptoms = models.CharField(_("triệu chứng khác"), max_length=500, blank=True)
    contact_case = models.BooleanField(default=False)
    contact_from_outbreak = models.BooleanField(default=False)
    contact_symptomatic = models.BooleanField(default=False)
    has_symptoms = models.BooleanField(default=False, db_index=True)
    has_exposure = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["person", "local_date"], name="decl_person_day")]


class SymptomAlert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Mới")
        CALLED = "called", _("Đã gọi")
        TESTED = "tested", _("Đã xét nghiệm")
        REFERRED = "referred", _("Đã chuyển tuyến")
        CLOSED = "closed", _("Đã đóng")

    declaration = models.OneToOneField(Declaration, on_delete=models.CASCADE,
                                       related_name="alert")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey("areas.Area", null=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # How far up the area tree the alert has been sent by SMS: 0 = its commune's health
    # officers, 1 = the level above, ... (None: nobody at any level to tell). While it stays
    # open, it goes one level up at `escalate_at` (None: no level above is left).
    notified_level = models.PositiveSmallIntegerField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The queue: open alerts of an area subtree, newest first; and the escalation check.
        indexes = [models.Index(fields=["status", "created_at"], name="alert_status_time"),
                   models.Index(fields=["status", "escalate_at"], name="alert_escalation")]


class AlertAction(models.Model):
    alert = models.ForeignKey(SymptomAlert, on_delete=models.CASCADE, related_name="actions")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                related_name="+")
    status = models.CharField(max_length=10, choices=SymptomAlert.Status.choices)
    note = models.CharField(max_length=1000, blank=True)
    at = models.DateTimeField(auto_now_add=True)
