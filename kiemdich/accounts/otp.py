"""One-time login codes: 6 digits from the OS CSPRNG, hashed at rest, 5 minutes, single use,
bound to the phone they were sent to, and at most OTP_MAX_ATTEMPTS wrong tries each.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.accounts import ratelimit
from kiemdich.accounts.models import OneTimeCode, User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.services import account_for_phone
from kiemdich.accounts.sms import send_sms
from kiemdich.errors import DomainError, RateLimited


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
    ratelimit.hit(f"otp-send-ip:{ip}", settings.OTP_SEND_PER_IP_PER_HOUR, 3600)
    ratelimit.hit(f"otp-send-gap:{phone}", 1, settings.OTP_SEND_MIN_INTERVAL_SECONDS)
    ratelimit.hit(f"otp-send-phone:{phone}", settings.OTP_SEND_PER_PHONE_PER_HOUR, 3600)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        # A new code replaces any earlier one: only the latest message is valid.
        OneTimeCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
        OneTimeCode.objects.create(
            phone=phone, code_hash=_hash(phone, code), ip=ip, created_at=now,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
    send_sms(phone, _("Mã đăng nhập Kiểm Dịch QR của bạn: %(code)s. Không chia sẻ mã này.")
             % {"code": code})
    return settings.OTP_TTL_SECONDS


def verify_code(raw_phone: str, code: str, ip: str) -> User:
    """Check the code and return the account, creating it at first login."""
    phone = normalize_phone(raw_phone)
    ratelimit.hit(f"otp-verify-ip:{ip}", settings.OTP_VERIFY_PER_IP_PER_HOUR, 3600)
    code = (code or "").strip()
    now = timezone.now()
    # The attempt counter must be committed even when the answer is a refusal, so the
    # transaction decides and the error is raised after it.
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        error = _check(otp, phone, code, now)
        if error is None:
            otp.used_at = now
            otp.save(update_fields=["used_at"])
            user = account_for_phone(phone)
        elif otp is not None and isinstance(error, OtpInvalid):
            otp.attempts += 1  # past the limit, the code answers 429 until a new one is sent
            otp.save(update_fields=["attempts"])
    if error is not None:
        _record_failure(phone, ip, error.code)
        raise error
    return user


def _check(otp: OneTimeCode | None, phone: str, code: str, now) -> DomainError | None:
    if otp is None:
        return OtpInvalid(_("Mã xác thực không đúng."))
    if otp.expires_at <= now:
        return OtpExpired(_("Mã xác thực đã hết hạn, vui lòng lấy mã mới."))
    if otp.attempts >= settings.OTP_MAX_ATTEMPTS:
        return RateLimited(_("Nhập sai quá nhiều lần, vui lòng lấy mã mới."), retry_after=60)
    if not (len(code) == 6 and code.isdigit()
            and hmac.compare_digest(otp.code_hash, _hash(phone, code))):
        return OtpInvalid(_("Mã xác thực không đúng."))
    return None


def _record_failure(phone: str, ip: str, reason: str) -> None:
    from kiemdich.privacy.audit import pseudonym, record

    record(None, "login_failed", target=pseudonym(phone), reason=reason, ip=ip)
