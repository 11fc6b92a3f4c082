"""The platform's personal QR code: opaque, signed with Ed25519, expiring.

Unlike the national QR standard and the CCCD card QR, the code carries no personal data: only
an opaque subject id, the kind of code, a serial (to revoke printed cards), and issue/expiry
times. Anyone can read those fields, nobody can change them without the signing key.

Payload (152 characters, every one in the QR alphanumeric set, so a QR encoder uses the
5.5 bits/character alphanumeric mode: it fits a version 6 symbol at error correction M)::

    KD1.<kid>.<BASE32(body || signature)>

- ``KD1`` names the format and its version.
- ``kid``: 4 random base32 characters naming the signing key (see `random_kid`).
- ``body``: 25 bytes, big-endian ``kind u8 | subject u64 | serial u64 | issued u32 |
  expires u32`` (times in unix seconds, good until 2106; the serial is as wide as
  ``Credential.serial``).
- ``signature``: 64 bytes, Ed25519 over ``b"KD1.<kid>." + body``, so the key id is signed too.

Base32 (RFC 4648, upper case, no padding) rather than base64url: lower-case letters would push
the QR into 8-bit byte mode, which needs a version 8 symbol for the same content. The 89
bytes take 143 base32 characters; the 3 spare bits of the last one must be zero (only the
canonical text is accepted), so any changed character is either not in the alphabet or not
canonical (unreadable) or changes a signed byte (forged).

The subject is the person's public id (``Person.public_id``): random, drawn from
``[2**40, 2**63)``, so a code says nothing about who else has one or when the account was made,
and codes cannot be enumerated. Codes of the older format named the sequential database id,
always below ``2**40`` (`is_legacy_subject`): a printed card of that format is still accepted
until it expires (its serial ties it to its person), an in-app one is refused as
`CodeOutdated` (the app fetches a new code every day).
"""

from __future__ import annotations

import base64
import calendar
import re
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from kiemdich.core import clock
from kiemdich.core.errors import DomainError

if TYPE_CHECKING:
    from kiemdich.people.keys import StoredKeyring
    from kiemdich.people.models import Person

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
# Subjects of the current format are at least this; smaller ones were database ids.
PUBLIC_ID_FLOOR = 2**40
# Person ids and card serials are signed 64-bit database integers.
_MAX_I64 = 2**63 - 1

# Codes roll over in the quiet hours of the deployment's night (TIME_ZONE), whatever the
# server's own zone.
ROLLOVER_HOUR = 4
APP_CODE_MIN_VALIDITY = timedelta(hours=12)
# A printed card is valid this many months: the longest any code lives.
CARD_MONTHS = 6

_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class CodeError(DomainError):
    """A scanned code was refused. Every subclass has its own stable `.code`, and its
    message in the catalogue (kiemdich.core.error_codes)."""

    status = 422
    code = "code_error"


class CodeUnreadable(CodeError):
    code = "code_unreadable"


class CodeForged(CodeError):
    code = "code_forged"


class CodeExpired(CodeError):
    code = "code_expired"


class CodeUnknownKey(CodeError):
    code = "code_unknown_key"


class CodeOutdated(CodeError):
    """An in-app code of the older format, which named the person's database id."""

    code = "code_outdated"


class CodeRevoked(CodeError):
    """Raised by callers that check a card's serial against the revocation list."""

    code = "code_revoked"
    person: Person | None = None  # the card's holder, when the scan found them


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


class Keyring:
    """Ed25519 signing keys by key id: `active` (default: the last of `keys`) signs, all of
    them verify. Dedicated readers verify offline with `public_keys()`.

    The platform's own keyring is `default_keyring()`, kept in the database; rotation is the
    `signing_keys` management command (docs/operations.md).
    """

    def __init__(self, keys: Mapping[str, Ed25519PrivateKey], active: str = "") -> None:
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
        self.active_kid = active or list(keys)[-1]
        if self.active_kid not in self._private:
            raise ValueError(f"the active key {self.active_kid!r} is not in the keyring")

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


def random_kid() -> str:
    """A fresh random key id: 20 bits, so ids say nothing about when or where a key was made
    (the database keeps them unique)."""
    return "".join(secrets.choice(_B32_ALPHABET) for _ in range(_KID_CHARS))


def is_legacy_subject(subject: int) -> bool:
    return subject < PUBLIC_ID_FLOOR


def is_kid(text: str) -> bool:
    return bool(_KID_RE.fullmatch(text))


def default_keyring() -> StoredKeyring:
    """The keys every app server shares (`kiemdich.people.keys`), loaded from the database."""
    # A cycle: keys imports this module (and people.models, which imports this module too).
    from kiemdich.people.keys import stored_keyring

    return stored_keyring()


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _whole_seconds(now: datetime) -> datetime:
    return _aware(now).astimezone(UTC).replace(microsecond=0)


def _rollover(day: date) -> datetime:
    return clock.at(day, time(ROLLOVER_HOUR)).astimezone(UTC)


def app_code_expiry(now: datetime) -> datetime:
    """The first 04:00 Vietnam time at least 12 hours after `now`.

    The app fetches a fresh code every day. Expiring at a fixed night-time hour (rather than
    24 hours after issue) means a code never runs out in the evening while its holder is at a
    venue and maybe offline, and a screenshot is useless after one night; the 12-hour floor
    keeps a code fetched late in the evening good for the whole next day. Validity is therefore
    between 12 and 36 hours.
    """
    earliest = _whole_seconds(now) + APP_CODE_MIN_VALIDITY
    local_day = clock.local_day(earliest)
    expiry = _rollover(local_day)
    return expiry if expiry >= earliest else _rollover(local_day + timedelta(days=1))


def card_code_expiry(now: datetime, months: int) -> datetime:
    """04:00 Vietnam time on the same day of the month `months` later (clamped to month end)."""
    if months < 1:
        raise ValueError("a card is valid for at least one month")
    local_day = clock.local_day(_whole_seconds(now))
    year, month0 = divmod(local_day.month - 1 + months, 12)
    year += local_day.year
    day = min(local_day.day, calendar.monthrange(year, month0 + 1)[1])
    return _rollover(date(year, month0 + 1, day))


def issue_app_code(
    person_id: int, now: datetime, *, keyring: Keyring | StoredKeyring | None = None
) -> tuple[str, datetime]:
    """The code shown in the app: serial 0 (never revoked; it expires within 36 hours)."""
    expires = app_code_expiry(now)
    claims = Claims(KIND_APP, person_id, 0, _whole_seconds(now), expires)
    return (keyring or default_keyring()).sign(claims), expires


def issue_card_code(
    person_id: int,
    serial: int,
    now: datetime,
    months: int = CARD_MONTHS,
    *,
    keyring: Keyring | StoredKeyring | None = None,
) -> tuple[str, datetime]:
    """The code printed on a card. `serial` is the card's own (``Credential.serial``): a lost
    card is revoked by its serial, and callers refuse it with `CodeRevoked` until it expires."""
    expires = card_code_expiry(now, months)
    claims = Claims(KIND_CARD, person_id, serial, _whole_seconds(now), expires)
    return (keyring or default_keyring()).sign(claims), expires
