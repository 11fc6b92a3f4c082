"""What the tracing app holds: cases (an F0's identity and window), the notices sent to
their contacts, and the requests to open a case. Its open cases also hold, until they close,
the records of the other apps that tracing reads (`hold`)."""

from __future__ import annotations

from django.conf import settings

from kiemdich.core.personal_data import Held, Holder, Purge, register
from kiemdich.tracing.models import Case, Notice, NoticeBatch
from kiemdich.tracing.services import reach


def _hold(held: Held) -> None:
    """What tracing reads for each open case (`tracing.services.reach`: every identity of the
    F0, their visits in the window, every visit the contacts were found from). Keeping
    exactly what tracing reads is what makes a case's exposures the same before and after a
    purge."""
    for case in Case.objects.filter(status=Case.Status.OPEN).select_related("person"):
        found = reach(case)
        held.f0_ids.update(found.f0_ids)
        held.person_ids.update(found.person_ids)
        held.visit_ids.update(found.visit_ids)


def _purge(run: Purge) -> None:
    cut = run.cutoff(settings.RETENTION_NOTICES_DAYS)
    # Notices of open cases stay: the contact may still need them.
    run.delete("notices", Notice.objects.filter(sent_at__lt=cut).exclude(case__status="open"))
    run.delete("notice_batches", NoticeBatch.objects.filter(created_at__lt=cut)
               .exclude(case__status="open"))


register(Holder(
    app="tracing",
    models={
        "tracing.Case": "an F0's case; goes with the person (an F0 is held while it is open)",
        "tracing.Notice": "a contact's exposure notice; purged after RETENTION_NOTICES_DAYS "
                          "once its case is closed, goes with the person",
        "tracing.NoticeBatch": "who a batch of notices went to; as the notices",
        "tracing.CaseRequest": "a request to open a case for a person; goes with the person",
        "tracing.NoticePause": "the officers who paused notices; the reference goes with "
                               "their account (SET_NULL)",
    },
    person_refs=("tracing.Case", "tracing.Notice"),
    hold=_hold, purge=_purge,
))
