"""The platform's personal QR code: opaque, signed with Ed25519, expiring.

Unlike the national QR standard and the CCCD card QR, the code carries no personal data: only
an opaque subject id, the kind of code, a serial (to revoke printed cards), and issue/expiry
times. Anyone can read those fields, nobody can change them without the signing key.

Payload (152 characters, every one in the QR alphanumeric set, so a QR encoder uses the
5.5 bits/character alphanumeric mode: it fits a version 6 symbol at error correction M)::

    KD1.<kid>.<BASE32(body || signature)>

- ``KD1`` names the format and its version.
- ``kid``: 4 base32 characters naming the signing key (see `create_key`).
- ``body``: 25 bytes, big-endian ``kind u8 | subject u64 | serial u64 | issued u32 |
  expires u32`` (times in unix seconds, good until 2106; the serial is as wide as
  ``Credential.serial``).
- ``signature``: 64 bytes, Ed25519 over ``b"KD1.<kid>." + body``, so the key id is signed too.

Base32 (RFC 4648, upper case, no padding) rather than base64url: lower-case letters would push
the QR into 8-bit byte mode, which needs a version 8 symbol for the same content. The 89
bytes take 143 base32 characters; the 3 spare bits of the last one must be zero (only the
canonical text is accepted), so any changed character is either not in the alphabet or not
canonical (unreadable) or changes a signed byte (forged).

The subject is the Person primary key. It reveals nothing to whoever reads the code without
database access, and the signature stops anyone from minting codes for other ids; what it
leaks (roughly when the account was made) is not personal data. A random per-person token
would need an extra indexed column and a lookup and gain nothing here; the field is 64 bits
so such a token can replace the id later without changing the format.
"""

from __future__ import annotations

import base64
import calendar
import fcntl
import functools
import os
import re
import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kiemdich.errors import DomainError

KIND_APP = "app"
KIND_CARD = "card"
_KIND_NUMBERS = {KIND_APP: 1, KIND_CARD: 2}
_KIND_NAMES = {number: name for name, number in _KIND_NUMBERS.items()}

PREFIX = "KD1"
_BODY = struct.Struct(">BQQII")
_SIGNATURE_BYTES = 64
_B32 = "[A-Z2-7]"
_KID_CHARS = 4
_DATA_BYTES = _BODY.size + _SIGNATURE_BYTES
_DATA_CHARS = -(-_DATA_BYTES * 8 // 5)
_PADDING = "=" * (-_DATA_CHARS % 8)
_CODE_RE = re.compile(rf"{PREFIX}\.({_B32}{{{_KID_CHARS}}})\.({_B32}{{{_DATA_CHARS}}})")
_KID_RE = re.compile(rf"{_B32}{{{_KID_CHARS}}}")
CODE_LENGTH = len(PREFIX) + 1 + _KID_CHARS + 1 + _DATA_CHARS

_MAX_U32 = 2**32 - 1
# Person ids and card serials are signed 64-bit database integers.
_MAX_I64 = 2**63 - 1

# Codes roll over in the quiet hours of the Vietnamese night, whatever the server's zone.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ROLLOVER_HOUR = 4
APP_CODE_MIN_VALIDITY = timedelta(hours=12)

# A key id counts hours since this instant, so ids sort by age and 4 characters (20 bits)
# last until 2139.
_KID_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class CodeError(DomainError):
    """A scanned code was refused. Every subclass has its own stable `.code`."""

    status = 422
    code = "code_error"
    default_message: str | Promise = _("Mã QR không hợp lệ.")

    def __init__(self, message: str | Promise | None = None, **kwargs: Any) -> None:
        super().__init__(self.default_message if message is None else message, **kwargs)


class CodeUnreadable(CodeError):
    code = "code_unreadable"
    default_message = _("Không đọc được mã QR. Hãy quét lại hoặc nhập thông tin bằng tay.")


class CodeForged(CodeError):
    code = "code_forged"
    default_message = _("Mã QR không do hệ thống cấp hoặc đã bị sửa đổi.")


class CodeExpired(CodeError):
    code = "code_expired"
    default_message = _(
        "Mã QR đã hết hạn. Hãy mở lại ứng dụng để lấy mã mới, hoặc xin cấp lại thẻ in."
    )


class CodeUnknownKey(CodeError):
    code = "code_unknown_key"
    default_message = _(
        "Mã QR được ký bằng một khóa mà hệ thống không nhận ra. Nếu dùng máy quét chuyên dụng, "
        "hãy cập nhật khóa cho máy."
    )


class CodeRevoked(CodeError):
    """Raised by callers that check a card's serial against the revocation list."""

    code = "code_revoked"
    default_message = _("Thẻ QR này đã bị thu hồi. Hãy dùng thẻ mới nhất.")


@dataclass(frozen=True)
class Claims:
    """What a code says. Times are aware; `verify` returns them in UTC, to the second.

    `kid` names the key that signed the code; when signing, empty means the active key.
    """

    kind: str
    subject: int
    serial: int
    issued_at: datetime
    expires_at: datetime
    kid: str = ""


def _unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("code times must be timezone-aware")
    return int(moment.timestamp())


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _signed_message(kid: str, body: bytes) -> bytes:
    return f"{PREFIX}.{kid}.".encode("ascii") + body


def _kid_number(kid: str) -> int:
    number = 0
    for char in kid:
        number = number * 32 + _B32_ALPHABET.index(char)
    return number


def _kid_text(number: int) -> str:
    if not 0 <= number < 32**_KID_CHARS:
        raise ValueError("key id out of range")
    shifts = range(5 * (_KID_CHARS - 1), -1, -5)
    return "".join(_B32_ALPHABET[(number >> shift) & 31] for shift in shifts)


class Keyring:
    """Ed25519 signing keys by key id; the newest (highest id) signs, all of them verify.

    Rotation: add a key with `create_key`, restart the workers, and keep the old key file until
    the last code it signed has expired (printed cards: months). Dedicated readers verify
    offline with `public_keys()`.
    """

    def __init__(self, keys: Mapping[str, Ed25519PrivateKey]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        for kid, key in keys.items():
            if not _KID_RE.fullmatch(kid):
                raise ValueError(f"key id {kid!r} is not {_KID_CHARS} base32 characters")
            if not isinstance(key, Ed25519PrivateKey):
                raise TypeError(f"key {kid} is not an Ed25519 private key")
        self._private = dict(keys)
        self._public: dict[str, Ed25519PublicKey] = {
            kid: key.public_key() for kid, key in keys.items()
        }
        self.active_kid = max(keys, key=_kid_number)

    @classmethod
    def from_dir(cls, path: Path | str) -> Keyring:
        """Load every ``<kid>.pem`` in `path`, first making a key if there is none."""
        directory = Path(path)
        with _locked(directory):
            if not any(directory.glob("*.pem")):
                _write_new_key(directory)
            keys = {}
            for file in sorted(directory.glob("*.pem")):
                kid = file.stem
                if not _KID_RE.fullmatch(kid):
                    raise ImproperlyConfigured(
                        f"{file}: key files must be named <kid>.pem with a {_KID_CHARS}-character "
                        "base32 key id; use create_key() to add one"
                    )
                try:
                    key = serialization.load_pem_private_key(file.read_bytes(), password=None)
                except (ValueError, TypeError) as exc:
                    raise ImproperlyConfigured(f"{file}: not an unencrypted PEM key") from exc
                if not isinstance(key, Ed25519PrivateKey):
                    raise ImproperlyConfigured(f"{file}: not an Ed25519 private key")
                keys[kid] = key
        return cls(keys)

    def sign(self, claims: Claims) -> str:
        """Encode and sign; times are cut to whole seconds."""
        kid = claims.kid or self.active_kid
        key = self._private.get(kid)
        if key is None:
            raise ValueError(f"no signing key {kid!r} in this keyring")
        kind = _KIND_NUMBERS.get(claims.kind)
        if kind is None:
            raise ValueError(f"unknown code kind {claims.kind!r}")
        if not 1 <= claims.subject <= _MAX_I64:
            raise ValueError("subject out of range")
        if not 0 <= claims.serial <= _MAX_I64:
            raise ValueError("serial out of range")
        issued, expires = _unix(claims.issued_at), _unix(claims.expires_at)
        if not 0 <= issued < expires <= _MAX_U32:
            raise ValueError("a code must expire after it is issued, before 2106")
        body = _BODY.pack(kind, claims.subject, claims.serial, issued, expires)
        signature = key.sign(_signed_message(kid, body))
        return f"{PREFIX}.{kid}.{_b32(body + signature)}"

    def verify(self, text: str, now: datetime | None = None) -> Claims:
        """Return the claims of a genuine, unexpired code, or raise a `CodeError`.

        The signature is checked before anything in the body is believed, so a forged code is
        reported as forged even when its (forged) expiry is in the past.
        """
        match = _CODE_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise CodeUnreadable()
        kid, data = match.groups()
        raw = base64.b32decode(data + _PADDING)
        # Spare bits set in the last character decode to the same bytes: not our encoding.
        if _b32(raw) != data:
            raise CodeUnreadable()
        public = self._public.get(kid)
        if public is None:
            raise CodeUnknownKey()
        body, signature = raw[: _BODY.size], raw[_BODY.size :]
        try:
            public.verify(signature, _signed_message(kid, body))
        except InvalidSignature:
            raise CodeForged() from None
        kind, subject, serial, issued, expires = _BODY.unpack(body)
        if kind not in _KIND_NAMES:
            # Genuinely ours, but from a newer release that knows more kinds.
            raise CodeUnreadable()
        claims = Claims(
            kind=_KIND_NAMES[kind],
            subject=subject,
            serial=serial,
            issued_at=datetime.fromtimestamp(issued, UTC),
            expires_at=datetime.fromtimestamp(expires, UTC),
            kid=kid,
        )
        if _aware(now or datetime.now(UTC)) >= claims.expires_at:
            raise CodeExpired()
        return claims

    def public_keys(self) -> dict[str, str]:
        """{kid: standard base64 of the 32-byte raw Ed25519 public key}."""
        return {
            kid: base64.b64encode(
                key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            ).decode("ascii")
            for kid, key in sorted(self._public.items())
        }


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise key creation and loading between the processes that share a key directory.

    Without it two workers starting on an empty directory could each make a key and sign with
    one the other does not know. The lock is on the directory itself, so a read-only mount of
    existing keys (a deployment secret) loads too.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_new_key(directory: Path) -> str:
    existing = [_kid_number(f.stem) for f in directory.glob("*.pem") if _KID_RE.fullmatch(f.stem)]
    hours = int((datetime.now(UTC) - _KID_EPOCH).total_seconds() // 3600)
    kid = _kid_text(max([hours, *(n + 1 for n in existing)]))
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written under a name the loader ignores, then linked into place: a crash never leaves a
    # truncated <kid>.pem, and the link refuses to replace an existing key.
    temporary = directory / f".{kid}.pem.tmp"
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(temporary, directory / f"{kid}.pem")
    finally:
        temporary.unlink()
    return kid


def create_key(path: Path | str) -> str:
    """Add a new signing key (file mode 0600) to a key directory and return its id.

    The id is the hours since 2020 (or one more than the newest key), so it is unique in the
    directory and the new key becomes the active one.
    """
    directory = Path(path)
    with _locked(directory):
        return _write_new_key(directory)


@functools.cache
def default_keyring() -> Keyring:
    """The keyring in ``settings.SIGNING_KEY_DIR``, loaded once per process."""
    return Keyring.from_dir(settings.SIGNING_KEY_DIR)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _whole_seconds(now: datetime) -> datetime:
    return _aware(now).astimezone(UTC).replace(microsecond=0)


def _rollover(day: date) -> datetime:
    return datetime.combine(day, time(ROLLOVER_HOUR), tzinfo=LOCAL_TZ).astimezone(UTC)


def app_code_expiry(now: datetime) -> datetime:
    """The first 04:00 Vietnam time at least 12 hours after `now`.

    The app fetches a fresh code every day. Expiring at a fixed night-time hour (rather than
    24 hours after issue) means a code never runs out in the evening while its holder is at a
    venue and maybe offline, and a screenshot is useless after one night; the 12-hour floor
    keeps a code fetched late in the evening good for the whole next day. Validity is therefore
    between 12 and 36 hours.
    """
    earliest = _whole_seconds(now) + APP_CODE_MIN_VALIDITY
    local_day = earliest.astimezone(LOCAL_TZ).date()
    expiry = _rollover(local_day)
    return expiry if expiry >= earliest else _rollover(local_day + timedelta(days=1))


def card_code_expiry(now: datetime, months: int) -> datetime:
    """04:00 Vietnam time on the same day of the month `months` later (clamped to month end)."""
    if months < 1:
        raise ValueError("a card is valid for at least one month")
    local_day = _whole_seconds(now).astimezone(LOCAL_TZ).date()
    year, month0 = divmod(local_day.month - 1 + months, 12)
    year += local_day.year
    day = min(local_day.day, calendar.monthrange(year, month0 + 1)[1])
    return _rollover(date(year, month0 + 1, day))


def issue_app_code(
    person_id: int, now: datetime, *, keyring: Keyring | None = None
) -> tuple[str, datetime]:
    """The code shown in the app: serial 0 (never revoked; it expires within 36 hours)."""
    expires = app_code_expiry(now)
    claims = Claims(KIND_APP, person_id, 0, _whole_seconds(now), expires)
    return (keyring or default_keyring()).sign(claims), expires


def issue_card_code(
    person_id: int,
    serial: int,
    now: datetime,
    months: int = 6,
    *,
    keyring: Keyring | None = None,
) -> tuple[str, datetime]:
    """The code printed on a card. `serial` is the card's own (``Credential.serial``): a lost
    card is revoked by its serial, and callers refuse it with `CodeRevoked` until it expires."""
    expires = card_code_expiry(now, months)
    claims = Claims(KIND_CARD, person_id, serial, _whole_seconds(now), expires)
    return (keyring or default_keyring()).sign(claims), expires
