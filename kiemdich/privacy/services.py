"""Data-subject rights (Law 91/2025/QH15): erasing an account within 72 hours, and
withdrawing consent. Records an open case holds stay until the case closes, and the person is
told so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kiemdich.accounts.models import User
from kiemdich.core.audit import record, reference
from kiemdich.core.personal_data import Erasure, holders
from kiemdich.people.models import Consent
from kiemdich.privacy.models import DeletionRequest
from kiemdich.privacy.retention import (
    Held,
    exclusive_run,
    held_by_open_cases,
    held_people_of,
    purge_expired,
)

DELETION_DEADLINE = timedelta(hours=72)


@dataclass
class DeletionStatus:
    request: DeletionRequest
    held_people: list[int]


def request_deletion(user: User) -> DeletionStatus:
    """Register the request (idempotent while one is pending) and say what will be kept."""
    refusal = _refusal(user)
    if refusal is not None:
        raise refusal
    now = timezone.now()
    with transaction.atomic():
        request = (DeletionRequest.objects.select_for_update()
                   .filter(account=user, status=DeletionRequest.Status.PENDING).first())
        if request is None:
            request = DeletionRequest.objects.create(
                account=user, requested_at=now, due_at=now + DELETION_DEADLINE)
            record(user, "deletion_requested", target=request)
    return DeletionStatus(request, sorted(held_people_of(managed_people_ids(user))))


def pending_deletion(user: User) -> DeletionStatus | None:
    request = (DeletionRequest.objects
               .filter(account=user, status=DeletionRequest.Status.PENDING).first())
    if request is None:
        return None
    return DeletionStatus(request, sorted(held_people_of(managed_people_ids(user))))


def managed_people_ids(user: User | None) -> list[int]:
    """The person rows the account manages, as their holders know them."""
    ids: list[int] = []
    for holder in holders():
        if holder.people_of is not None:
            ids += [pk for pk in holder.people_of(user) if pk not in ids]
    return ids


def _refusal(user: User | None) -> Exception | None:
    """Why the account cannot be erased yet (it owns venues), if a holder says so."""
    for holder in holders():
        refusal = holder.refuse_erasure(user) if holder.refuse_erasure else None
        if refusal is not None:
            return refusal
    return None


def process_deletions(now: datetime | None = None,
                      progress: Callable[[str, int], None] | None = None) -> int:
    """Carry out pending requests, and finish held ones whose cases have closed."""
    now = now or timezone.now()
    held = held_by_open_cases()
    done = 0
    for request in DeletionRequest.objects.filter(
            status__in=[DeletionRequest.Status.PENDING, DeletionRequest.Status.HELD]):
        _carry_out(request, held, now)
        done += 1
        if progress:
            progress("deletion_requests", done)
    return done


def purge(deletions: bool = True, progress: Callable[[str, int], None] | None = None
          ) -> dict[str, int] | None:
    """The hourly duty (job privacy.purge, command purge_expired): deletion requests first,
    then every record past its retention. None when another run holds the purge's lock."""
    with exclusive_run() as acquired:
        if not acquired:
            return None
        counts = {"deletion_requests": process_deletions(progress=progress)} if deletions \
            else {}
        counts.update(purge_expired(progress=progress))
    return counts


@transaction.atomic
def _carry_out(request: DeletionRequest, held: Held, now: datetime) -> None:
    """Every holder erases what it holds of the account's people, records first, then the
    people, then the account; what an open case holds is kept, detached from the account."""
    user = (User.objects.filter(pk=request.account_id).first()
            if request.account_id is not None else None)
    if user is not None and _refusal(user) is not None:
        return  # registered a venue after asking: stays pending until it is handed over
    people = managed_people_ids(user) if user else []
    people += [pk for pk in request.held_people if pk not in people]
    keep = held_people_of(people, held)
    account_ref = reference(user) if user is not None else None
    erasure = Erasure(account=user, erase=[pk for pk in people if pk not in keep],
                      strip=[pk for pk in people if pk in keep], held=held)
    for holder in holders():
        if holder.erase is not None:
            holder.erase(erasure)
    if account_ref is not None:
        # The account itself is gone now; only the records a case holds outlive it.
        record(None, "account_deleted", target=account_ref, reason=f"request={request.pk}")
    request.held_people = sorted(keep)
    request.status = DeletionRequest.Status.HELD if keep else DeletionRequest.Status.DONE
    request.processed_at = now
    request.save(update_fields=["held_people", "status", "processed_at"])


def withdraw_consent(user: User) -> tuple[int, datetime]:
    """Withdraw every consent the account has given; processing based on it stops."""
    now = timezone.now()
    withdrawn = Consent.objects.filter(account=user, withdrawn_at__isnull=True) \
        .update(withdrawn_at=now)
    if withdrawn:
        record(user, "consent_withdrawn", target=user, reason=f"count={withdrawn}")
    return withdrawn, now


def consents_of(user: User) -> list:
    return list(Consent.objects.filter(account=user).order_by("-given_at"))
