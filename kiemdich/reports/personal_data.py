"""What the reports app holds about a person: organisations' rosters (name, phone, ID
digest), inspections (the inspector, a subject's name), the distinct-declarant counts by
person id, report subscriptions by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, Q

from kiemdich.core.clock import local_day
from kiemdich.core.personal_data import Holder, Purge, register
from kiemdich.reports.models import DeclarantDay, RosterMember
from kiemdich.reports.rollups import declarant_days_read_since


def _purge(run: Purge) -> None:
    # A member the latest complete import of their roster did not write has left it: gone
    # once no import wrote them for as long as declarations are kept (the ones before
    # import stamps count as old). A roster never imported again is kept whole.
    left = Q(imported_at__isnull=True) | (
        Q(imported_at__lt=F("organisation__roster_imported_at"))
        & Q(imported_at__lt=run.cutoff(settings.RETENTION_DECLARATIONS_DAYS)))
    run.delete("roster_members", RosterMember.objects.filter(
        left, organisation__roster_imported_at__isnull=False))
    # Kept while the statistics read them (a declarant counted once over any report range),
    # not a day longer.
    run.delete("declarant_days", DeclarantDay.objects.filter(
        day__lt=declarant_days_read_since(local_day(run.now))))


register(Holder(
    app="reports",
    models={
        "reports.Organisation": "who registered an organisation; the reference goes with "
                                "the account",
        "reports.RosterMember": "a roster's people (name, phone, ID digest): the "
                                "organisation's list, removed with it; a member the latest "
                                "import left out is purged once no import wrote them for "
                                "RETENTION_DECLARATIONS_DAYS",
        "reports.Inspection": "the inspector and the subject's name: an official record, kept",
        "reports.ReportSubscription": "e-mail addresses the officer entered; removed by them",
        "reports.DeclarantDay": "a person id per day declared, for distinct counts; no name, "
                                "purged once no refresh of the statistics reads it (the "
                                "longest report range before the late-scan window)",
    },
    purge=_purge,
))
