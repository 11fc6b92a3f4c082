"""The SMS outbox's rules, in one process (the delivery by a real worker through a failing
gateway is tests/jobs/test_sms.py): the backoff doubles up to its ceiling, a failed attempt
queues the next one for later, a sent message is never sent again, an expired or refused one
is given up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from kiemdich.accounts import sms
from kiemdich.accounts.models import SmsMessage
from tests.scans.servers import free_port

pytestmark = pytest.mark.django_db


@given(st.integers(min_value=1, max_value=200), st.integers(1, 120), st.integers(1, 7200))
def test_the_backoff_doubles_from_the_base_up_to_the_ceiling(attempts, base, ceiling):
    with override_settings(SMS_RETRY_BASE_SECONDS=base, SMS_RETRY_MAX_SECONDS=ceiling):
        wait = sms.backoff(attempts).total_seconds()
        assert wait == min(base * 2 ** (attempts - 1), ceiling)
        assert sms.backoff(attempts + 1).total_seconds() >= wait


def queued_locks() -> list:
    from django_q.models import OrmQ

    return list(OrmQ.objects.order_by("lock").values_list("lock", flat=True))


def test_a_failed_attempt_queues_the_next_for_after_the_backoff(settings, outbox):
    settings.SMS_SEND_NOW, settings.SMS_BACKEND = True, "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{free_port()}/send"  # nobody listens
    settings.SMS_RETRY_BASE_SECONDS = 60
    before = timezone.now()
    message = sms.send_sms("+84912000001", "xin chào", purpose="test")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "URLError" in message.last_error
    [lock] = queued_locks()
    assert before + timedelta(seconds=60) <= lock == message.next_attempt_at

    settings.SMS_BACKEND = "file"
    assert sms.deliver(str(message.pk)) == "sent"
    assert sms.deliver(str(message.pk)).startswith("skipped")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.text) == ("sent", 2, "")
    assert [m["id"] for m in outbox.messages()] == [str(message.pk)]


def test_an_expired_message_is_given_up_unsent(settings, outbox):
    settings.SMS_SEND_NOW = False
    message = sms.send_sms("+84912000001", "Mã 123456", purpose="otp", ttl=300)
    SmsMessage.objects.filter(pk=message.pk).update(expires_at=timezone.now())
    assert sms.deliver(str(message.pk)).startswith("given up")
    message.refresh_from_db()
    assert (message.status, message.text) == ("failed", "")
    assert outbox.messages() == []


def test_the_last_allowed_attempt_gives_up(settings):
    settings.SMS_SEND_NOW, settings.SMS_BACKEND = True, "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{free_port()}/send"
    settings.SMS_MAX_ATTEMPTS = 2
    message = sms.send_sms("+84912000001", "xin chào", purpose="test")
    assert sms.deliver(str(message.pk)).startswith("given up")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)
    assert len(queued_locks()) == 1  # the one retry; none after giving up


def test_a_stalled_delivery_is_queued_again(settings):
    settings.SMS_SEND_NOW = False
    message = sms.send_sms("+84912000001", "xin chào", purpose="test")
    assert sms.requeue_stalled() == 0
    SmsMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert sms.requeue_stalled() == 1
    assert len(queued_locks()) == 2
