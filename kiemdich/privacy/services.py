"""Data-subject rights (Law 91/2025/QH15): erasing an account within 72 hours, and
withdrawing consent. Records an open case holds stay until the case closes, and the person is
told so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import User
from kiemdich.errors import Conflict
from kiemdich.privacy.audit import record, reference
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
    from kiemdich.venues.models import Venue

    if Venue.objects.filter(owner=user).exists():
        raise Conflict(_("Tài khoản đang quản lý địa điểm: hãy chuyển giao hoặc đóng địa điểm "
                         "trước khi xóa tài khoản."), code="account_owns_venues")
    now = timezone.now()
    with transaction.atomic():
        request = (DeletionRequest.objects.select_for_update()
                   .filter(account=user, status=DeletionRequest.Status.PENDING).first())
        if request is None:
            request = DeletionRequest.objects.create(
                account=user, requested_at=now, due_at=now + DELETION_DEADLINE)
            record(user, "deletion_requested", target=request)
    return DeletionStatus(request, sorted(held_people_of(_people_ids(user))))


def pending_deletion(user: User) -> DeletionStatus | None:
    request = (DeletionRequest.objects
               .filter(account=user, status=DeletionRequest.Status.PENDING).first())
    if request is None:
        return None
    return DeletionStatus(request, sorted(held_people_of(_people_ids(user))))


def _people_ids(user: User) -> list[int]:
    from kiemdich.people.models import Person

    return list(Person.objects.filter(account=user).values_list("pk", flat=True))


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
    from kiemdich.people.models import Person
    from kiemdich.venues.models import Venue

    user = (User.objects.filter(pk=request.account_id).first()
            if request.account_id is not None else None)
    if user is not None and Venue.objects.filter(owner=user).exists():
        return  # registered a venue after asking: stays pending until it is handed over
    people = list(Person.objects.filter(account=user).values_list("pk", flat=True)) \
        if user else []
    people += [pk for pk in request.held_people if pk not in people]
    keep = held_people_of(people, held)
    _erase_people([pk for pk in people if pk not in keep])
    _strip_held_people(list(keep), held)
    if user is not None:
        # The account itself goes now; only the records a case holds outlive it.
        account_ref = reference(user)
        user.delete()
        record(None, "account_deleted", target=account_ref, reason=f"request={request.pk}")
    request.held_people = sorted(keep)
    request.status = DeletionRequest.Status.HELD if keep else DeletionRequest.Status.DONE
    request.processed_at = now
    request.save(update_fields=["held_people", "status", "processed_at"])


def _erase_people(person_ids: list[int]) -> None:
    from kiemdich.people.models import Person
    from kiemdich.scans.models import Scan

    if not person_ids:
        return
    # Scans point at people without a constraint: delete them explicitly.
    Scan.objects.filter(person_id__in=person_ids).delete()
    Person.objects.filter(pk__in=person_ids).delete()


def _strip_held_people(person_ids: list[int], held: Held) -> None:
    """Keep only what the case needs of these people: the person and the held visits."""
    from kiemdich.declarations.models import Declaration
    from kiemdich.people.models import Credential, Person
    from kiemdich.scans.models import Scan, Visit

    if not person_ids:
        return
    Declaration.objects.filter(person_id__in=person_ids).delete()
    Credential.objects.filter(person_id__in=person_ids).delete()
    Scan.objects.filter(person_id__in=person_ids).exclude(pk__in=held.scan_ids).delete()
    Visit.objects.filter(person_id__in=person_ids).exclude(pk__in=held.visit_ids).delete()
    # Detached from the account so that deleting the account does not cascade to them.
    Person.objects.filter(pk__in=person_ids).update(account=None, is_self=False)


def withdraw_consent(user: User) -> tuple[int, datetime]:
    """Withdraw every consent the account has given; processing based on it stops."""
    from kiemdich.people.models import Consent

    now = timezone.now()
    withdrawn = Consent.objects.filter(account=user, withdrawn_at__isnull=True) \
        .update(withdrawn_at=now)
    if withdrawn:
        record(user, "consent_withdrawn", target=user, reason=f"count={withdrawn}")
    return withdrawn, now


def consents_of(user: User) -> list:
    from kiemdich.people.models import Consent

    return list(Consent.objects.filter(account=user).order_by("-given_at"))
