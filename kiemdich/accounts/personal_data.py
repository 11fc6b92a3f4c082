"""What the accounts app holds about a person: the account itself (phone, name), its roles,
its tokens and sessions, the one-time codes and text messages sent to a phone."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone

from kiemdich.accounts.models import ApiToken, OneTimeCode, SmsMessage
from kiemdich.accounts.sms import _file_lock
from kiemdich.core.personal_data import Erasure, Export, Holder, Purge, Stage, register


def _purge(run: Purge) -> None:
    # The SMS outbox: a message still pending past the cut-off was given up long ago.
    run.delete("sms_messages", SmsMessage.objects.filter(
        created_at__lt=run.cutoff(settings.RETENTION_SMS_OUTBOX_DAYS)))
    run.delete("otp_codes", OneTimeCode.objects.filter(
        created_at__lt=run.cutoff(settings.RETENTION_OTP_DAYS)))
    run.delete("api_tokens", ApiToken.objects.filter(
        Q(expires_at__lt=run.now) | Q(revoked_at__lt=run.now - timedelta(days=1))))
    run.count("sms_outbox_lines", purge_sms_outbox(run.now))
    run.delete("sessions", Session.objects.filter(expire_date__lt=run.now))


def purge_sms_outbox(now: datetime) -> int:
    """Rewrite the development SMS outbox without its old lines (codes and notices)."""
    path = settings.SMS_OUTBOX
    if not path.exists():
        return 0
    cutoff = now - timedelta(days=settings.RETENTION_SMS_OUTBOX_DAYS)
    with _file_lock:
        lines = path.read_text("utf-8").splitlines()
        kept = [line for line in lines if not _sent_before(line, cutoff)]
        if len(kept) != len(lines):
            temporary = path.with_suffix(".tmp")
            temporary.write_text("".join(line + "\n" for line in kept), "utf-8")
            os.replace(temporary, path)
    return len(lines) - len(kept)


def _sent_before(line: str, cutoff: datetime) -> bool:
    try:
        sent_at = datetime.fromisoformat(json.loads(line)["sent_at"])
    except (ValueError, KeyError, TypeError):
        return False  # not ours to judge: keep it
    if timezone.is_naive(sent_at):
        sent_at = timezone.make_aware(sent_at)
    return sent_at < cutoff


def _erase(erasure: Erasure) -> None:
    # Last: the account goes with what cascades from it (roles, tokens, consents); its
    # people were erased or detached before.
    if erasure.account is not None:
        erasure.account.delete()
        erasure.account = None


def _export(export: Export) -> None:
    user = export.account
    export.sections["account"] = {"phone": user.phone, "date_joined": user.date_joined,
                                  "preferred_language": user.preferred_language}


register(Holder(
    app="accounts",
    stage=Stage.ACCOUNTS,
    models={
        "accounts.User": "the account (phone, name); erased on request, exported",
        "accounts.Grant": "the account's roles; go with the account",
        "accounts.ApiToken": "login tokens; purged once expired or revoked, go with the account",
        "accounts.OneTimeCode": "login codes sent to a phone; purged after RETENTION_OTP_DAYS",
        "accounts.SmsMessage": "texts sent to a phone; purged after RETENTION_SMS_OUTBOX_DAYS",
        "admin.LogEntry": "an admin's edits in the admin site; go with the admin's account",
    },
    purge=_purge, erase=_erase, export=_export,
))
