"""Exposure notices: in the app and by SMS, with a second officer's approval for large batches
and pauses that stop them in an area (`pauses`).

A send that would take a case's notices, or an officer's, past
TRACING_NOTICE_APPROVAL_THRESHOLD in a rolling day waits for another health officer (one
cannot approve one's own); a contact is warned once per case; a pause is a database row so it
takes effect at once on every process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import User
from kiemdich.accounts.scopes import Scope
from kiemdich.accounts.sms import send_sms
from kiemdich.core.audit import record
from kiemdich.core.errors import Conflict, Forbidden, NotFound
from kiemdich.tracing import pauses, services
from kiemdich.tracing.models import Case, Notice, NoticeBatch

logger = logging.getLogger(__name__)
ADVICE = _("Hãy tự theo dõi sức khỏe 14 ngày, hạn chế tiếp xúc, đeo khẩu trang và báo trạm y "
           "tế nếu sốt, ho hoặc khó thở.")


def _refuse_if_paused(exp: services.Exposures, person_ids: Iterable[int]) -> None:
    """Notices to a contact stop when a pause covers where they live or any venue where they
    met the F0."""
    people = services.people_by_id(person_ids)
    places: dict[int, set] = {pk: ({p.area} if p.area_id else set())
                              for pk, p in people.items()}
    for contact in exp.contacts:
        if contact.person_id in places:
            places[contact.person_id].update(exp.venues[o.venue_id].area
                                             for o in contact.overlaps)
    pauses.refuse_if_paused(places)


# Batches --------------------------------------------------------------------------------

@transaction.atomic
def create_batch(actor: User, scope: Scope, case: Case, person_ids: list[int] | None,
                 *, send: bool = True) -> NoticeBatch:
    """Choose contacts to warn (all when `person_ids` is None). Within the rolling day's
    allowance the batch goes out at once (when `send`); past it, it waits for a second health
    officer."""
    services.require_tracer(scope)
    if case.status != Case.Status.OPEN:
        raise Conflict(code="case_closed")
    _lock_allowance(case, actor)
    exp = services.exposures(actor, case)
    chosen = services.choose_contacts(exp, person_ids)
    ids = [c.person_id for c in chosen if c.person_id not in _notified(case)]
    if not ids:
        raise Conflict(code="already_notified")
    _refuse_if_paused(exp, ids)
    needs_approval = over_allowance(case, actor, len(ids))
    batch = NoticeBatch.objects.create(
        case=case, person_ids=ids, needs_approval=needs_approval, created_by=actor,
        status=NoticeBatch.Status.PENDING if needs_approval else NoticeBatch.Status.READY,
    )
    record(actor, "notices_batch", target=batch, reason=f"case={case.pk} size={len(ids)}")
    if send and not needs_approval:
        _send(actor, batch, exp)
    return batch


# The two-person rule counts notices, not clicks: what a case's contacts, and what one
# officer's batches, received over the last 24 hours, approved or not. A send that would take
# either count past TRACING_NOTICE_APPROVAL_THRESHOLD waits for a second officer, however it
# is split into batches or spread over cases.
ROLLING_DAY = timedelta(hours=24)


def _notified(case: Case) -> set[int]:
    return set(Notice.objects.filter(case=case).values_list("person_id", flat=True))


def sent_in_rolling_day(*, case: Case | None = None, officer: User | None = None) -> int:
    """Notices sent in the last 24 hours for a case, or in batches an officer made."""
    notices = Notice.objects.filter(sent_at__gt=timezone.now() - ROLLING_DAY)
    if case is not None:
        notices = notices.filter(case=case)
    if officer is not None:
        notices = notices.filter(batch__created_by=officer)
    return notices.count()


def over_allowance(case: Case, officer: User | None, size: int) -> bool:
    """Would `size` more notices take the case's, or the officer's, rolling day past the
    threshold? (A batch whose author is gone is counted for its case only.)"""
    limit = settings.TRACING_NOTICE_APPROVAL_THRESHOLD
    if sent_in_rolling_day(case=case) + size > limit:
        return True
    return officer is not None and sent_in_rolling_day(officer=officer) + size > limit


def _lock_allowance(case: Case, officer: User | None) -> None:
    """Serialise the sends that draw on one case's and one officer's allowance, so two at once
    cannot both read the count before either is written. Always officer, then case: no
    deadlock. (SQLite's IMMEDIATE transactions already run one writer at a time; on
    PostgreSQL the audit chain's lock happens to as well, which this does not rely on.)"""
    if officer is not None:
        list(User.objects.select_for_update().filter(pk=officer.pk).values_list("pk"))
    list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk"))


def get_batch(scope: Scope, batch_id: int) -> NoticeBatch:
    batch = (NoticeBatch.objects.select_related("case")
             .filter(pk=batch_id, case__in=services.visible_cases(scope)).first())
    if batch is None:
        raise NotFound(code="batch_not_found")
    return batch


@transaction.atomic
def approve_batch(actor: User, scope: Scope, batch: NoticeBatch) -> NoticeBatch:
    """A second health officer approves a large batch; it is sent at once."""
    services.require_tracer(scope)
    _lock_allowance(batch.case, batch.created_by)
    batch = NoticeBatch.objects.select_for_update().select_related("case").get(pk=batch.pk)
    if batch.status != NoticeBatch.Status.PENDING:
        raise Conflict(code="not_pending")
    if batch.created_by_id == actor.pk:
        raise Forbidden(code="self_approval")
    batch.status, batch.approved_by, batch.approved_at = (NoticeBatch.Status.READY, actor,
                                                          timezone.now())
    batch.save(update_fields=["status", "approved_by", "approved_at"])
    record(actor, "notices_approved", target=batch, reason=f"size={batch.size}")
    return send_batch(actor, scope, batch)


@transaction.atomic
def send_batch(actor: User, scope: Scope, batch: NoticeBatch) -> NoticeBatch:
    """Send a batch made ready earlier. Unless a second officer approved it, the allowance is
    counted again now: if the notices sent since would take it past the threshold, the batch
    turns to waiting for approval (status `pending`) instead of going out."""
    services.require_tracer(scope)
    _lock_allowance(batch.case, batch.created_by)
    batch = NoticeBatch.objects.select_for_update().select_related("case").get(pk=batch.pk)
    if batch.status == NoticeBatch.Status.PENDING:
        raise Conflict(code="approval_required")
    if batch.status == NoticeBatch.Status.SENT:
        raise Conflict(code="already_sent")
    exp = services.exposures(actor, batch.case)
    _refuse_if_paused(exp, batch.person_ids)
    unsent = len(set(batch.person_ids) - _notified(batch.case))
    if batch.approved_by_id is None and over_allowance(batch.case, batch.created_by, unsent):
        batch.status, batch.needs_approval = NoticeBatch.Status.PENDING, True
        batch.save(update_fields=["status", "needs_approval"])
        record(actor, "notices_held", target=batch,
               reason=f"case={batch.case_id} size={unsent} approval required")
        return batch
    _send(actor, batch, exp)
    return batch


def _send(actor: User, batch: NoticeBatch, exp: services.Exposures) -> None:
    """Write one Notice per person and queue their SMS. The notice is the record; its
    `sms_sent` turns true when the SMS is delivered (an outage delays it, never loses it)."""
    wanted = set(batch.person_ids)
    already = _notified(batch.case)
    people = services.people_by_id(wanted)
    now = timezone.now()
    notices = []
    for contact in exp.contacts:
        if contact.person_id not in wanted or contact.person_id in already:
            continue
        main = contact.main
        person = people[contact.person_id]
        notices.append(Notice(case=batch.case, batch=batch, person=person,
                              account=person.account, venue=exp.venues[main.venue_id],
                              exposed_from=main.start, exposed_until=main.end, sent_at=now))
    Notice.objects.bulk_create(notices)
    texted = 0
    for notice in notices:
        phone = notice.person.phone or (notice.account.phone if notice.account else "")
        if phone:
            send_sms(phone, sms_text(notice), purpose="notice", ref=str(notice.pk))
            texted += 1
    batch.status, batch.sent_at = NoticeBatch.Status.SENT, now
    batch.save(update_fields=["status", "sent_at"])
    record(actor, "notices_sent", target=batch,
           reason=f"case={batch.case_id} notices={len(notices)} "
                  f"sms={texted}")


# What the citizen reads -----------------------------------------------------------------

def _where_when(notice: Notice) -> dict:
    local = timezone.localtime(notice.exposed_from)
    return {"venue": notice.venue.name, "date": date_format(local.date(), "SHORT_DATE_FORMAT")}


def message(notice: Notice) -> str:
    """'Bạn đã ở X ngày D khi có ca bệnh ở đó' — or the dependant's name instead of 'Bạn'."""
    values = _where_when(notice)
    if notice.person.is_self or not notice.person.full_name:
        return gettext("Bạn đã ở %(venue)s ngày %(date)s khi có ca bệnh ở đó.") % values
    return gettext("%(name)s đã ở %(venue)s ngày %(date)s khi có ca bệnh ở đó.") % {
        **values, "name": notice.person.full_name}


def sms_delivered(notice_id: str) -> None:
    Notice.objects.filter(pk=notice_id).update(sms_sent=True)


def sms_text(notice: Notice) -> str:
    # The text message goes out in the default language, whatever the sending officer reads.
    with translation.override(settings.LANGUAGE_CODE):
        return f"KiemDich: {message(notice)} {ADVICE}"


def notices_for(user: User) -> QuerySet[Notice]:
    """The notices of the people this account manages, newest first."""
    return Notice.objects.filter(account=user).select_related("venue", "person", "venue__area")


def mark_read(user: User, notice_id: int) -> Notice:
    """The citizen acknowledges a notice; another account's notice is unknown (404)."""
    notice = notices_for(user).filter(pk=notice_id).first()
    if notice is None:
        raise NotFound(code="notice_unknown")
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def advice() -> str:
    return str(ADVICE)
