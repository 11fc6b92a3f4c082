"""Rollups that the statistics read, and the authorities' own records: population targets,
the establishments registry, rosters of people obliged to declare, imports, inspections.

Rollup tables are derived data: `kiemdich.reports.rollups.refresh` rebuilds any day from the
raw tables, so they can be dropped and recomputed at will. Days are calendar days in
local time (TIME_ZONE); "area" is always a commune (a leaf).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import Sector


class DailyRollup(models.Model):
    """Accepted scans and active venues per (day, commune, sector, venue type)."""

    day = models.DateField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(max_length=20)
    venue_type = models.CharField(max_length=32)
    scans_in = models.PositiveIntegerField(default=0)
    scans_out = models.PositiveIntegerField(default=0)
    # Exact per row because a venue has one commune, sector and type: sums over rows of one
    # day stay exact; across days use VenueDay for distinct venues.
    venues_active = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "area", "sector", "venue_type"],
                                               name="rollup_day_key")]
        indexes = [models.Index(fields=["area", "day"], name="rollup_area_day")]


class VenueDay(models.Model):
    """One row per venue with at least one accepted scan on a day: distinct venues over a
    range are COUNT(DISTINCT venue_id) here, never a sum of daily counts."""

    day = models.DateField()
    venue_id = models.BigIntegerField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(max_length=20)
    venue_type = models.CharField(max_length=32)
    scans = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "venue_id"],
                                               name="venueday_key")]
        indexes = [models.Index(fields=["area", "day"], name="venueday_area_day"),
                   models.Index(fields=["venue_id", "day"], name="venueday_venue_day")]


class DeclarationRollup(models.Model):
    """Declarations per (day, commune of the declaration)."""

    day = models.DateField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    declarations = models.PositiveIntegerField(default=0)
    symptomatic = models.PositiveIntegerField(default=0)
    declarants = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "area"], name="declroll_key")]
        indexes = [models.Index(fields=["area", "day"], name="declroll_area_day")]


class DeclarantDay(models.Model):
    """One row per (day, commune, person) who declared: distinct declarants over a range."""

    day = models.DateField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    person_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "area", "person_id"],
                                               name="declarantday_key")]
        indexes = [models.Index(fields=["area", "day"], name="declarantday_area_day"),
                   # A person's earlier declaration days, for DeclarantSeen.
                   models.Index(fields=["person_id", "day"], name="declarantday_person_day")]


class _ActiveVenues(models.Model):
    """One row of active venues: (day, area, sector, type), by the day they were last active
    before (see VenueSeen)."""

    day = models.DateField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(max_length=20)
    venue_type = models.CharField(max_length=32)
    prev_day = models.DateField(null=True)
    venues = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class VenueSeen(_ActiveVenues):
    """A day's active venues per (commune, sector, type), counted by the day each was last
    active before (null: not within the longest report range). A venue has one commune, so
    distinct active venues over [a, b] in any area are the sum, over the range's days and the
    area's communes, of those not active since before a."""

    class Meta:
        indexes = [models.Index(fields=["area", "day"], name="venueseen_area_day")]


class DeclarantSeen(models.Model):
    """A day's declarants per area at every level (commune, district, province), counted by
    the day each had last declared in that area before (null: not within the longest report
    range). Distinct declarants over [a, b] are then the sum, over the days of the range, of
    those not seen since before a — exact, without a COUNT(DISTINCT) over millions of rows."""

    day = models.DateField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    prev_day = models.DateField(null=True)
    people = models.PositiveIntegerField(default=0)

    class Meta:
        # As AreaVenueSeen: a range reads only the rows not seen since before it began.
        indexes = [models.Index(fields=["area", "day", "prev_day"],
                                name="declseen_area_day_prev")]


class VenueRegistration(models.Model):
    """Active venues by the day they were registered; registered-by-a-date is a running sum.
    Rebuilt whole on each refresh because a venue closing changes a past day's count."""

    day = models.DateField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(max_length=20)
    venue_type = models.CharField(max_length=32)
    venues = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["area", "day"], name="venuereg_area_day")]


class CitizenRegistration(models.Model):
    """Accounts' own person records by commune and the day they were made."""

    day = models.DateField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    citizens = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["area", "day"], name="citizenreg_area_day")]


# Every area level -------------------------------------------------------------------------
#
# The tables above are per commune; a province's dashboard summed thousands of their rows per
# request (85,000 for 30 days of a province at 30 M scans). The same figures are kept summed
# to every area above a commune as well (and the commune itself), by the same refresh, so a
# province's one-day view reads its own rows and its districts' — a few hundred.


class AreaDay(models.Model):
    """A day's figures of an area at any level, summed from its communes' rollups. Venue
    figures have the sector and type; people's (declarations) have both empty."""

    day = models.DateField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(max_length=20, blank=True)
    venue_type = models.CharField(max_length=32, blank=True)
    scans_in = models.PositiveIntegerField(default=0)
    scans_out = models.PositiveIntegerField(default=0)
    venues_active = models.PositiveIntegerField(default=0)  # a venue has one commune: exact
    declarations = models.PositiveIntegerField(default=0)
    symptomatic = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "day", "sector", "venue_type"],
                                               name="areaday_key")]
        # A refresh replaces a day's rows and carries its running totals on from them.
        indexes = [models.Index(fields=["day"], name="areaday_day")]


class AreaVenueSeen(_ActiveVenues):
    """VenueSeen summed to every area level (a venue has one commune, so sums stay exact).

    Read by (area, day, prev_day): over a range [a, b] only the rows not seen since before a
    count — every row of day a, and the few of later days whose venue was idle since before
    a — and each (area, day) of the range is one index range of those rows."""

    class Meta:
        indexes = [models.Index(fields=["area", "day", "prev_day"],
                                name="areavenueseen_area_day_prev")]


class _AreaRegistrations(models.Model):
    """Venues (sector and type set) and citizens (both empty) registered in an area, at
    every area level."""

    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(max_length=20, blank=True)
    venue_type = models.CharField(max_length=32, blank=True)
    venues = models.PositiveIntegerField(default=0)
    citizens = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class AreaRegistration(_AreaRegistrations):
    """VenueRegistration and CitizenRegistration of a day summed to every area level;
    rebuilt whole with them."""

    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["area", "day"], name="areareg_area_day")]


class AreaRegistered(_AreaRegistrations):
    """AreaRegistration summed over every day, rebuilt with it: registered by a day is this
    total less the rows of the days after it (none for today), instead of a sum over every
    day since the first registration."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "sector", "venue_type"],
                                               name="arearegistered_key")]


class AreaRunningTotal(models.Model):
    """AreaDay's sums of an area per sector (people's figures: sector empty) over every day up
    to `day`: the figures of a range [a, b] are b's row less the row of the day before a, two
    rows per (area, sector) however long the range. Every (area, sector) with a row has one on
    each later refreshed day, so a day's rows are complete."""

    day = models.DateField()
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(max_length=20, blank=True)
    scans_in = models.PositiveBigIntegerField(default=0)
    scans_out = models.PositiveBigIntegerField(default=0)
    declarations = models.PositiveBigIntegerField(default=0)
    symptomatic = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "day", "sector"],
                                               name="arearunning_key")]
        indexes = [models.Index(fields=["day"], name="arearunning_day")]


class RollupState(models.Model):
    """When the rollups were last refreshed (one row), shown next to the figures."""

    refreshed_at = models.DateTimeField()
    since = models.DateField()


# Coverage -------------------------------------------------------------------------------


class Population(models.Model):
    """Residents of an area, imported from the statistics office's figures."""

    area = models.OneToOneField("areas.Area", on_delete=models.CASCADE, related_name="+")
    residents = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)


class Establishment(models.Model):
    """A business, agency or school that must register a venue (the registry to match)."""

    reg_no = models.CharField(_("số đăng ký"), max_length=32, unique=True)
    name = models.CharField(_("tên cơ sở"), max_length=200)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(_("lĩnh vực"), max_length=20, choices=Sector.choices)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["area", "sector"], name="establishment_area_sector")]


class Organisation(models.Model):
    """An agency or factory whose people are obliged to declare every day."""

    name = models.CharField(_("tên cơ quan, đơn vị"), max_length=200)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(_("lĩnh vực"), max_length=20, choices=Sector.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the latest roster import that ran to its end started: a member it did not write
    # has left the roster (reports' holder purges them RETENTION_DECLARATIONS_DAYS after).
    roster_imported_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class RosterMember(models.Model):
    """A person on an organisation's roster, matched to declarations by phone or ID digest
    (the ID number itself is never stored here)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="members")
    full_name = models.CharField(max_length=120)
    phone = models.CharField(max_length=16, blank=True, db_index=True)
    id_number_digest = models.CharField(max_length=64, blank=True, db_index=True)
    # When the import that last wrote the member started (every row of one import alike).
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The key an import upserts by: a file imported twice updates, never duplicates.
        constraints = [models.UniqueConstraint(
            fields=["organisation", "phone", "id_number_digest"], name="rostermember_key")]


# Inspections ----------------------------------------------------------------------------


class ViolationCategory(models.Model):
    """An offence of Decree 117/2020/NĐ-CP with its fine bracket (for individuals; the decree
    doubles it for organisations). Kept as data so admins can follow amendments."""

    code = models.CharField(max_length=32, unique=True)
    legal_reference = models.CharField(_("căn cứ pháp lý"), max_length=200)
    title = models.CharField(_("hành vi vi phạm"), max_length=500)
    fine_min = models.PositiveBigIntegerField(_("mức phạt tối thiểu (đồng)"), default=0)
    fine_max = models.PositiveBigIntegerField(_("mức phạt tối đa (đồng)"), default=0)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("loại vi phạm")
        verbose_name_plural = _("danh mục vi phạm")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.legal_reference} — {self.title}"


class Inspection(models.Model):
    class Result(models.TextChoices):
        COMPLIANT = "compliant", _("Đạt")
        REMINDED = "reminded", _("Nhắc nhở")
        VIOLATION = "violation", _("Vi phạm")

    class Subject(models.TextChoices):
        VENUE = "venue", _("Địa điểm đã đăng ký")
        ESTABLISHMENT = "establishment", _("Cơ sở chưa đăng ký địa điểm")
        PERSON = "person", _("Người phải khai báo y tế")

    # Who was inspected: a registered venue, an establishment of the registry that never
    # registered one, or a person obliged to declare (a roster member) who did not.
    subject = models.CharField(_("đối tượng"), max_length=16, choices=Subject.choices,
                               default=Subject.VENUE)
    venue = models.ForeignKey("venues.Venue", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    establishment = models.ForeignKey(Establishment, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    roster_member = models.ForeignKey(RosterMember, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    # The subject's name as recorded: a roster is imported again and its rows replaced.
    subject_name = models.CharField(_("tên đối tượng"), max_length=200, blank=True)
    # Copied from the subject so lists filter by area and sector without a join.
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(max_length=20, choices=Sector.choices)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    inspected_at = models.DateTimeField(_("thời điểm kiểm tra"))
    poster_displayed = models.BooleanField(_("có niêm yết mã QR"), default=False)
    scanning_enforced = models.BooleanField(_("có kiểm soát quét mã"), default=False)
    staff_declared = models.BooleanField(_("nhân viên đã khai báo y tế"), default=False)
    result = models.CharField(_("kết quả"), max_length=10, choices=Result.choices)
    violation = models.ForeignKey(ViolationCategory, null=True, blank=True,
                                  on_delete=models.PROTECT, verbose_name=_("hành vi vi phạm"))
    fine = models.PositiveBigIntegerField(_("số tiền phạt (đồng)"), null=True, blank=True)
    notes = models.TextField(_("ghi chú"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["area", "inspected_at"], name="inspection_area_time")]
        constraints = [models.CheckConstraint(
            condition=(models.Q(subject="venue", venue__isnull=False)
                       | models.Q(subject="establishment", establishment__isnull=False)
                       | (models.Q(subject="person") & ~models.Q(subject_name=""))),
            name="inspection_has_its_subject")]

    @property
    def subject_label(self) -> str:
        """What the lists and the record name the subject by."""
        if self.venue is not None:
            return self.venue.name
        if self.establishment is not None:
            return self.establishment.name
        return self.subject_name


# Daily reports ----------------------------------------------------------------------------


class ReportSubscription(models.Model):
    """An area asked for its daily report by e-mail (job reports.daily, each morning)."""

    area = models.OneToOneField("areas.Area", on_delete=models.CASCADE, related_name="+")
    emails = models.TextField()  # one address a line
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def recipients(self) -> list[str]:
        return [line.strip() for line in self.emails.splitlines() if line.strip()]


class DailyReport(models.Model):
    """The report of one area for one day, as generated and sent: the portal's archive. Kept
    in the database, so every worker and server sees the same archive."""

    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    pdf = models.BinaryField()
    xlsx = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailed_to = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "day"],
                                               name="dailyreport_area_day")]
