"""SMS: the outbox delivered through the job queue, the gateway port and its adapters.

`send_sms` writes an SmsMessage row and queues its delivery (job `sms.deliver`) in the
caller's transaction: the message is sent only if what it tells of is committed, and nothing
is lost while the gateway is down. A failed attempt is retried with exponential backoff
(SMS_RETRY_BASE_SECONDS doubled each time, at most SMS_RETRY_MAX_SECONDS) until it succeeds,
the gateway refuses the message for good (a 4xx), SMS_MAX_ATTEMPTS is reached or the message
expires (a login code with the code). Each message is sent once: a delivery claims its row,
a sent row is never sent again, and the row's id is the gateway's idempotency key for the
one gap left (a worker killed after the gateway accepted, before the row said so).

Gateways: `file` appends one JSON line per message to the outbox file (development and tests
read codes from it), `console` prints, `http` posts to a provider's HTTP API configured by
settings: SMS_HTTP_URL receives `{"to", "text", "sender"}` as JSON with `Authorization: Bearer
SMS_HTTP_TOKEN` and `Idempotency-Key: <message id>`; any 2xx is success.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone

from kiemdich.accounts.models import SmsMessage
from kiemdich.core import metrics
from kiemdich.jobs.registry import enqueue, enqueue_at

logger = logging.getLogger(__name__)
_file_lock = threading.Lock()

PLAIN_NAME_CHARS = 40
_NAME_PUNCTUATION = frozenset(" -&'()")


def plain_name(text: str, limit: int = PLAIN_NAME_CHARS) -> str:
    """A name someone else chose, made fit for an SMS we send in our name: letters, digits,
    spaces and `- & ' ( )` only, at most `limit` characters. Without dots, slashes, colons
    or `@` no link, address or domain survives ("bit.ly/x" becomes "bit ly x"), so the
    message cannot carry the sender's link."""
    kept = "".join(
        char if unicodedata.category(char)[0] in "LN" or char in _NAME_PUNCTUATION else " "
        for char in unicodedata.normalize("NFC", text))
    words = re.sub(r"\s+", " ", kept).strip()
    if len(words) > limit:
        words = words[:limit].rsplit(" ", 1)[0] if " " in words[:limit] else words[:limit]
    return words.strip()


class SmsRefused(Exception):
    """The gateway refused this message for good (a malformed number, ...): not retried."""


class SmsGateway(Protocol):
    def send(self, phone: str, text: str, key: str) -> None:
        """Hand one message to the provider; `key` is the same for every attempt of one
        message (the idempotency key). Raise SmsRefused for a refusal that a retry cannot
        change, anything else for a failure worth retrying."""


class FileGateway:
    def send(self, phone: str, text: str, key: str) -> None:
        line = json.dumps(
            {"phone": phone, "text": text, "sent_at": timezone.now().isoformat(), "id": key},
            ensure_ascii=False,
        )
        settings.SMS_OUTBOX.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock, open(settings.SMS_OUTBOX, "a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")


class ConsoleGateway:
    def send(self, phone: str, text: str, key: str) -> None:
        sys.stdout.write(f"SMS to {phone}: {text}\n")


# A 4xx answer is final, except these: the provider may take the same message later.
_RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


class HttpGateway:
    def send(self, phone: str, text: str, key: str) -> None:
        body = json.dumps(
            {"to": phone, "text": text, "sender": settings.SMS_HTTP_SENDER}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
            settings.SMS_HTTP_URL, data=body, method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key,
                     "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise RuntimeError(f"SMS gateway answered {response.status}")
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500 and exc.code not in _RETRYABLE_STATUSES:
                raise SmsRefused(f"SMS gateway refused the message: {exc.code}") from exc
            raise RuntimeError(f"SMS gateway answered {exc.code}") from exc


_GATEWAYS: dict[str, type[SmsGateway]] = {
    "file": FileGateway, "console": ConsoleGateway, "http": HttpGateway}


def gateway() -> SmsGateway:
    name = settings.SMS_BACKEND
    if name not in _GATEWAYS:
        raise ImproperlyConfigured(
            f"SMS_BACKEND must be one of {', '.join(_GATEWAYS)} (got {name!r})."
        )
    if name == "http" and not settings.SMS_HTTP_URL:
        raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL.")
    return _GATEWAYS[name]()


DELIVER_JOB = "sms.deliver"
# What a delivered message tells its purpose's owner: purpose -> f(ref) (apps register theirs
# in their AppConfig.ready, so every process, web or worker, knows them).
_ON_DELIVERED: dict[str, Callable[[str], None]] = {}


def on_delivered(purpose: str, callback: Callable[[str], None]) -> None:
    _ON_DELIVERED[purpose] = callback


def send_sms(phone: str, text: str, *, purpose: str, ref: str = "",
             ttl: int | None = None) -> SmsMessage:
    """Put one SMS in the outbox and queue its delivery, in the caller's transaction. It
    is given up `ttl` seconds from now (SMS_MAX_AGE_SECONDS by default). With SMS_SEND_NOW
    (tests, one process without a worker) the first attempt is made here and now; its
    retries still go through the queue."""
    now = timezone.now()
    message = SmsMessage.objects.create(
        phone=phone, text=text, purpose=purpose, ref=str(ref), created_at=now,
        next_attempt_at=now,
        expires_at=now + timedelta(seconds=ttl or settings.SMS_MAX_AGE_SECONDS))
    if settings.SMS_SEND_NOW:
        deliver(str(message.pk))
    else:
        enqueue(DELIVER_JOB, str(message.pk))
    return message


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2 × base, 4 × base, ..."""
    seconds = settings.SMS_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(seconds, settings.SMS_RETRY_MAX_SECONDS))


def deliver(message_id: str) -> str:
    """One attempt at a message (the job sms.deliver). Does nothing for a message sent or
    given up, or held by another delivery; a failure queues the next attempt."""
    now = timezone.now()
    # The claim outlasts the gateway's timeout: no other delivery starts meanwhile.
    claimed = SmsMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=message_id, status=SmsMessage.Status.PENDING,
    ).update(claimed_until=now + timedelta(seconds=settings.SMS_HTTP_TIMEOUT + 30))
    if not claimed:
        return "skipped: sent, given up or being sent"
    message = SmsMessage.objects.get(pk=message_id)
    message.attempts += 1
    message.claimed_until = None
    try:
        if message.expires_at <= now:
            raise SmsRefused("expired before it could be sent")
        gateway().send(message.phone, message.text, str(message.pk))
    except Exception as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:300]
        retry_at = now + backoff(message.attempts)
        if (isinstance(exc, SmsRefused) or message.attempts >= settings.SMS_MAX_ATTEMPTS
                or retry_at >= message.expires_at):
            logger.error("SMS %s given up after %d attempt(s): %s", message.pk,
                         message.attempts, message.last_error)
            message.status, message.text = SmsMessage.Status.FAILED, ""
            message.save()
            metrics.SMS.labels("failed").inc()
            return f"given up: {message.last_error}"
        logger.warning("SMS %s attempt %d failed, next at %s: %s", message.pk,
                       message.attempts, retry_at.isoformat(), message.last_error)
        message.next_attempt_at = retry_at
        message.save()
        enqueue_at(retry_at, DELIVER_JOB, str(message.pk))
        metrics.SMS.labels("retried").inc()
        return f"failed, retry at {retry_at.isoformat()}"
    message.status, message.sent_at, message.text = SmsMessage.Status.SENT, timezone.now(), ""
    message.save()
    metrics.SMS.labels("sent").inc()
    callback = _ON_DELIVERED.get(message.purpose)
    if callback is not None:
        callback(message.ref)
    return "sent"


def requeue_stalled() -> int:
    """Queue again the pending messages whose attempt is overdue (a worker died during a
    delivery, or the queue lost the task): the claim makes a duplicate delivery a no-op."""
    overdue = timezone.now() - timedelta(seconds=settings.SMS_HTTP_TIMEOUT + 60)
    ids = list(SmsMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()),
        status=SmsMessage.Status.PENDING, next_attempt_at__lt=overdue,
    ).values_list("pk", flat=True)[:1000])
    for pk in ids:
        enqueue(DELIVER_JOB, str(pk))
    return len(ids)
