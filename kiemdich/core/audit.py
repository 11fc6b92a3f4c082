"""Record who did what to whom and why — the one way any app writes the audit trail (the
writer, in the kernel: every app writes it; reading, verifying and alerting are privacy's).

Targets are references ("people.person:42") or pseudonyms, never names, phones or ID numbers.

Each entry is chained to the one before by an HMAC keyed with AUDIT_KEY, a key the database
does not hold: changing an entry and recomputing the chain needs the key. Every
AUDIT_ANCHOR_EVERY entries (and whenever `anchor_audit` runs) the chain's head — id and hash —
is appended to the anchor file outside the database; `verify` checks the trail against those
anchors, so deleting the newest entries (or all of them) is found, not only a change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from kiemdich.core.hooks import HookMiddleware
from kiemdich.core.proxies import client_ip

if TYPE_CHECKING:
    from kiemdich.privacy.models import AuditEntry

GENESIS = "0" * 64
AUDIT_LOCK_ID = 0x4B44_4155  # any constant; names the audit chain's lock

log = logging.getLogger(__name__)

# The client address of the request being answered: every entry written while answering it
# carries it, whichever service deep down writes the entry.
_client_ip: ContextVar[str | None] = ContextVar("audit_client_ip", default=None)


class ClientAddressMiddleware(HookMiddleware):
    """Makes the request's client address (`core.proxies.client_ip`) the address of
    every audit entry written while answering it."""

    def process_request(self, request: HttpRequest) -> None:
        # Read back by process_response (mypy knows no such attribute of a request).
        request.client_ip_token = _client_ip.set(client_ip(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        _client_ip.reset(request.client_ip_token)  # type: ignore[attr-defined]
        return response


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


def canonical(entry: AuditEntry) -> str:
    return "|".join([
        entry.at.isoformat(), str(entry.actor_id or ""), entry.actor_label, entry.action,
        entry.target, entry.reason, entry.ip or "", entry.actor_role, entry.actor_name,
    ])


def chain(prev_hash: str, entry: AuditEntry) -> str:
    return hmac.new(settings.AUDIT_KEY.encode(), (prev_hash + canonical(entry)).encode(),
                    hashlib.sha256).hexdigest()


def entries() -> type[AuditEntry]:
    """The trail's model. Its table belongs to privacy (migrations, append-only triggers,
    database roles); the writer finds it by label, as Django's get_user_model() does, so an
    app writing the trail never imports privacy."""
    return apps.get_model("privacy", "AuditEntry")


# Its argument is an account (a model instance with a pk), which the kernel cannot name.
ActorDescriber = Callable[[Any], tuple[str, str]]
_describers: list[ActorDescriber] = []


def describe_actors_with(describer: ActorDescriber) -> None:
    """How an account is described in the trail ((roles, name)): given by the app that knows
    roles and names (people, at start-up), so the writer needs neither."""
    _describers[:] = [describer]


def describe_actor(user: object) -> tuple[str, str]:
    """(roles, name) of an account as the trail shows it (see `describe_actors_with`)."""
    return _describers[0](user) if _describers else ("", "")


def record(actor: object, action: str, *, target: object = "", reason: str = "",
           ip: str | None = None) -> AuditEntry:
    """Append one entry. `actor` is a user, a device/venue label string, or None. `ip` is
    the client address of the request being answered unless given."""
    actor_id = getattr(actor, "pk", None) if actor is not None and not isinstance(actor, str) \
        else None
    label = actor if isinstance(actor, str) else ""
    role, name = describe_actor(actor) if actor_id is not None else ("", "")
    ip = ip or _client_ip.get()
    with transaction.atomic():
        # Serialise writers so the chain has one order: a transaction-scoped advisory lock on
        # PostgreSQL; on SQLite the IMMEDIATE transaction already holds the write lock.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_ID])
        model = entries()
        last_id, last_hash = model.objects.order_by("-id").values_list(
            "id", "entry_hash").first() or (0, GENESIS)
        entry = model(
            at=timezone.now(), actor_id=actor_id, actor_label=label[:64], actor_role=role,
            actor_name=name, action=action[:64], target=reference(target),
            reason=(reason or "")[:500], ip=ip,
            prev_hash=last_hash,
        )
        entry.entry_hash = chain(entry.prev_hash, entry)
        entry.save()
        # One anchor per block of AUDIT_ANCHOR_EVERY ids (ids skipped by a rollback do not
        # skip a block), written once the entry is committed: an anchor never names an entry
        # that a rollback took back.
        every = settings.AUDIT_ANCHOR_EVERY
        if entry.pk // every > last_id // every:
            transaction.on_commit(lambda: write_anchor(entry.pk, entry.entry_hash))
    return entry


def write_anchor(entry_id: int, entry_hash: str, path: Path | None = None) -> None:
    """Append the chain's head to the anchor file (one JSON line, one write with O_APPEND:
    lines of concurrent processes never interleave). A failure is logged, never raised: the
    entry is committed, and the next anchor covers it."""
    path = path or settings.AUDIT_ANCHOR_FILE
    line = json.dumps({"id": entry_id, "hash": entry_hash,
                       "at": timezone.now().isoformat()}) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, line.encode())
        finally:
            os.close(descriptor)
    except OSError:
        log.exception("audit anchor not written to %s (entry id=%s)", path, entry_id)
