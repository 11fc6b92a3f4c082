"""One-time login codes: 6 digits from the OS CSPRNG, hashed at rest, 5 minutes, single use,
bound to the phone they were sent to.

Every code goes to the phone's owner, whoever asked for it, so the limits are built so that
others cannot use them to keep the owner out (docs/security.md, "Login lock-out"):
- sends are limited per requester (client address) and per requester and phone; the one
  limit per phone across requesters (against flooding a victim with messages) takes one
  code every OTP_TTL_SECONDS at most, so whenever it refuses, a code sent to the phone less
  than a lifetime ago is still valid;
- a new code does not void earlier ones (an attacker's request cannot void the owner's code);
  using one voids them all;
- tries are limited per requester and phone (OTP_MAX_ATTEMPTS in a code's lifetime), so one
  requester's wrong guesses do not block the owner's right one; across requesters a code
  takes OTP_CODE_MAX_ATTEMPTS wrong guesses, which bounds a guesser using many addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.accounts import ratelimit
from kiemdich.accounts.models import OneTimeCode, User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.services import account_for_phone
from kiemdich.accounts.sms import send_sms
from kiemdich.core.audit import pseudonym, record
from kiemdich.core.errors import DomainError, RateLimited


class OtpInvalid(DomainError):
    code = "otp_invalid"


class OtpExpired(DomainError):
    code = "otp_expired"


def _hash(phone: str, code: str) -> str:
    # Keyed by SECRET_KEY and the phone: a leaked table cannot be brute-forced offline
    # without the key, and a code is worthless for any other phone.
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(),
                    hashlib.sha256).hexdigest()


def request_code(raw_phone: str, ip: str) -> int:
    """Send a fresh code to the phone; returns its lifetime in seconds."""
    phone = normalize_phone(raw_phone)
    # The requester's own limits first: a refusal there spends nothing of the phone's.
    ratelimit.hit(f"otp-send-ip:{ip}", settings.OTP_SEND_PER_IP_PER_HOUR, 3600)
    ratelimit.hit(f"otp-send-gap:{ip}:{phone}", 1, settings.OTP_SEND_MIN_INTERVAL_SECONDS)
    ratelimit.hit(f"otp-send-phone:{ip}:{phone}", settings.OTP_SEND_PER_PHONE_PER_HOUR, 3600)
    # One code per lifetime at the sustained rate: see the module's docstring.
    ratelimit.hit(f"otp-send-phone-all:{phone}",
                  max(settings.OTP_SEND_PER_PHONE_ALL_PER_HOUR,
                      math.ceil(3600 / settings.OTP_TTL_SECONDS)), 3600)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.create(
            phone=phone, code_hash=_hash(phone, code), ip=ip, created_at=now,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        # In the same transaction: the code is sent if and only if it was stored.
        send_sms(phone, _("Mã đăng nhập Kiểm Dịch QR của bạn: %(code)s. Không chia sẻ mã "
                          "này.") % {"code": code}, purpose="otp", ttl=settings.OTP_TTL_SECONDS)
    return settings.OTP_TTL_SECONDS


def verify_code(raw_phone: str, code: str, ip: str) -> User:
    """Check the code and return the account, creating it at first login."""
    phone = normalize_phone(raw_phone)
    ratelimit.hit(f"otp-verify-ip:{ip}", settings.OTP_VERIFY_PER_IP_PER_HOUR, 3600)
    # Every try of this requester for this phone counts, right or wrong: past the limit the
    # right code is refused too, so a guesser learns nothing from it.
    ratelimit.hit(f"otp-verify:{ip}:{phone}", settings.OTP_MAX_ATTEMPTS, settings.OTP_TTL_SECONDS)
    code = (code or "").strip()
    now = timezone.now()
    # The attempt counters must be committed even when the answer is a refusal, so the
    # transaction decides and the error is raised after it.
    with transaction.atomic():
        live = list(OneTimeCode.objects.select_for_update()
                    .filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
                    .order_by("-created_at"))
        error = _check(live, phone, code, now)
        if error is None:
            # One login uses every code sent: none of them can log in again.
            OneTimeCode.objects.filter(pk__in=[otp.pk for otp in live]).update(used_at=now)
            user = account_for_phone(phone)
        elif isinstance(error, OtpInvalid) and live:
            # A wrong guess is a guess at every live code.
            OneTimeCode.objects.filter(pk__in=[otp.pk for otp in live]).update(
                attempts=F("attempts") + 1)
    if error is not None:
        _record_failure(phone, ip, error.code)
        raise error
    return user


def _check(live: list[OneTimeCode], phone: str, code: str, now: datetime) -> DomainError | None:
    guessable = [otp for otp in live if otp.attempts < settings.OTP_CODE_MAX_ATTEMPTS]
    if not live:
        if OneTimeCode.objects.filter(phone=phone, used_at__isnull=True).exists():
            return OtpExpired()
        return OtpInvalid()
    if not guessable:
        return RateLimited(_("Nhập sai quá nhiều lần, vui lòng lấy mã mới."), retry_after=60)
    if not (len(code) == 6 and code.isdigit()
            and any(hmac.compare_digest(otp.code_hash, _hash(phone, code))
                    for otp in guessable)):
        return OtpInvalid()
    return None


def _record_failure(phone: str, ip: str, reason: str) -> None:
    record(None, "login_failed", target=pseudonym(phone), reason=reason, ip=ip)
