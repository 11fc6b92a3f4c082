"""Record who did what to whom and why — the one way any app writes the audit trail.

Targets are references ("people.person:42") or pseudonyms, never names, phones or ID numbers.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from kiemdich.privacy.models import AuditEntry

GENESIS = "0" * 64
AUDIT_LOCK_ID = 0x4B44_4155  # any constant; names the audit chain's lock


def pseudonym(value: str, key: str = "") -> str:
    """A stable keyed hash for a phone or ID number that must be correlated but not shown;
    keyed by SECRET_KEY unless `key` names another."""
    secret = key or settings.SECRET_KEY
    digest = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"h:{digest[:20]}"


def pseudonyms(value: str) -> set[str]:
    """Its pseudonym under SECRET_KEY and each of SECRET_KEY_FALLBACKS: entries written before
    the secret was replaced are still found (they are never rewritten)."""
    return {pseudonym(value, key) for key in (settings.SECRET_KEY,
                                              *settings.SECRET_KEY_FALLBACKS)}


def reference(obj: object) -> str:
    if isinstance(obj, models.Model):
        return f"{obj._meta.label_lower}:{obj.pk}"
    return str(obj)[:128]


def _canonical(entry: AuditEntry) -> str:
    return "|".join([
        entry.at.isoformat(), str(entry.actor_id or ""), entry.actor_label, entry.action,
        entry.target, entry.reason, entry.ip or "",
    ])


def _chain(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + _canonical(entry)).encode()).hexdigest()


def record(actor, action: str, *, target: object = "", reason: str = "",
           ip: str | None = None) -> AuditEntry:
    """Append one entry. `actor` is a user, a device/venue label string, or None."""
    actor_id = getattr(actor, "pk", None) if actor is not None and not isinstance(actor, str) \
        else None
    label = actor if isinstance(actor, str) else ""
    with transaction.atomic():
        # Serialise writers so the chain has one order: a transaction-scoped advisory lock on
        # PostgreSQL; on SQLite the IMMEDIATE transaction already holds the write lock.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_ID])
        last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        entry = AuditEntry(
            at=timezone.now(), actor_id=actor_id, actor_label=label[:64], action=action[:64],
            target=reference(target), reason=(reason or "")[:500], ip=ip,
            prev_hash=last or GENESIS,
        )
        entry.entry_hash = _chain(entry.prev_hash, entry)
        entry.save()
    return entry


def verify_chain() -> tuple[int, int | None]:
    """Walk the trail; return (entries checked, id of the first broken entry or None)."""
    prev = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev or entry.entry_hash != _chain(prev, entry):
            return checked, entry.pk
        prev = entry.entry_hash
        checked += 1
    return checked, None


def search(*, action: str = "", actor: str = "", target: str = "",
           date_from: date | None = None, date_to: date | None = None) -> QuerySet[AuditEntry]:
    """Entries matching the filters, newest first. `actor` is a phone or an account id;
    a phone given as `target` is turned into its pseudonym (failed logins are stored so)."""
    entries = AuditEntry.objects.order_by("-id")
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor_id=_account_id(actor))
    if target:
        entries = entries.filter(target__in={target, *_phone_pseudonyms(target)})
    if date_from:
        entries = entries.filter(at__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(at__lt=_day_start(date_to + timedelta(days=1)))
    return entries


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True)
                .distinct())


def _account_id(actor: str) -> int:
    from kiemdich.accounts.models import User
    from kiemdich.accounts.phones import normalize_phone
    from kiemdich.errors import DomainError

    actor = actor.strip().lstrip("#")
    if actor.isdigit() and len(actor) < 9:
        return int(actor)
    try:
        phone = normalize_phone(actor)
    except DomainError:
        return -1
    return User.objects.filter(phone=phone).values_list("pk", flat=True).first() or -1


def _phone_pseudonyms(text: str) -> set[str]:
    from kiemdich.accounts.phones import normalize_phone
    from kiemdich.errors import DomainError

    try:
        return pseudonyms(normalize_phone(text))
    except DomainError:
        return set()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
