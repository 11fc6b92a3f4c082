"""The SMS gateway port and its adapters.

`file` appends one JSON line per message to the outbox (development and tests read codes from
it), `console` prints, `http` posts to a provider's HTTP API configured by settings:
SMS_HTTP_URL receives `{"to", "text", "sender"}` as JSON with `Authorization: Bearer
SMS_HTTP_TOKEN`; any 2xx is success.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import unicodedata
import urllib.request
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kiemdich import metrics

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


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class FileGateway:
    def send(self, phone: str, text: str) -> None:
        line = json.dumps(
            {"phone": phone, "text": text, "sent_at": timezone.now().isoformat()},
            ensure_ascii=False,
        )
        settings.SMS_OUTBOX.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock, open(settings.SMS_OUTBOX, "a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")


class ConsoleGateway:
    def send(self, phone: str, text: str) -> None:
        sys.stdout.write(f"SMS to {phone}: {text}\n")


class HttpGateway:
    def send(self, phone: str, text: str) -> None:
        body = json.dumps(
            {"to": phone, "text": text, "sender": settings.SMS_HTTP_SENDER}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
            settings.SMS_HTTP_URL, data=body, method="POST",
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")


_GATEWAYS = {"file": FileGateway, "console": ConsoleGateway, "http": HttpGateway}


def gateway() -> SmsGateway:
    name = settings.SMS_BACKEND
    if name not in _GATEWAYS:
        raise ImproperlyConfigured(
            f"SMS_BACKEND must be one of {', '.join(_GATEWAYS)} (got {name!r})."
        )
    if name == "http" and not settings.SMS_HTTP_URL:
        raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL.")
    return _GATEWAYS[name]()


def send_sms(phone: str, text: str) -> None:
    try:
        gateway().send(phone, text)
    except Exception:
        metrics.SMS.labels("failed").inc()
        raise
    metrics.SMS.labels("sent").inc()
