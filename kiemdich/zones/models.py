"""Quarantine, lockdown and green zones (plan IV.8): drawn by officers on a commune or a
venue, for a span of days."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Zone(models.Model):
    class Kind(models.TextChoices):
        QUARANTINE = "quarantine", _("Vùng cách ly")
        LOCKDOWN = "lockdown", _("Vùng phong tỏa")
        GREEN = "green", _("Vùng xanh")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    # One of the two: a whole commune, or one venue (a factory, a market, a block).
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    venue = models.ForeignKey("venues.Venue", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    starts_on = models.DateField()
    # The last day the zone is in force (inclusive).
    ends_on = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Lifted before its end date by an officer.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(area__isnull=False, venue__isnull=True)
                           | Q(area__isnull=True, venue__isnull=False)),
                name="zone_area_or_venue"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                   name="zone_dates_in_order"),
        ]
        indexes = [models.Index(fields=["ends_on", "starts_on"], name="zone_in_force")]

    @property
    def place_name(self) -> str:
        """The venue's name, or the commune's: a zone is on one of the two (the constraint)."""
        if self.venue is not None:
            return self.venue.name
        assert self.area is not None
        return self.area.name


# Zones whose residents must declare every day (plan II.2): not the green ones.
OUTBREAK_KINDS = (Zone.Kind.QUARANTINE, Zone.Kind.LOCKDOWN)
