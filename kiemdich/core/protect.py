"""ID numbers at rest: encrypted (Fernet, AES-128-CBC + HMAC) and found by a keyed digest.

The key is ID_NUMBER_KEY, or, unset, derived from SECRET_KEY. Keys have versions: a stored
cipher is ``<version>$<Fernet token>`` (the version is a fingerprint of the key, never the key),
and the previous keys (ID_NUMBER_KEY_FALLBACKS, or SECRET_KEY_FALLBACKS when the key comes from
SECRET_KEY) still decrypt. So a secret can be replaced after a leak: the new one encrypts at
once, nothing stored becomes unreadable, and `rotate_id_number_key` re-encrypts every stored
number (and recomputes its digest) under the new key, after which the old one can go.

The digest is an HMAC under the current key, so the table cannot be reversed by hashing all 9-
and 12-digit numbers without it. Lookups try the digests under every key (`id_digests`), so a
row the rotation has not reached yet is still found.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

_SEPARATOR = "$"


@dataclass(frozen=True)
class IdKey:
    version: str
    secret: bytes

    @property
    def fernet(self) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(self.secret))


def _key(source: str) -> IdKey:
    secret = hashlib.sha256(b"kiemdich-id-number:" + source.encode()).digest()
    version = hashlib.sha256(b"kiemdich-id-number-version:" + secret).hexdigest()[:8]
    return IdKey(version, secret)


@lru_cache(maxsize=1)
def _keys_for(current: str, fallbacks: tuple[str, ...]) -> tuple[IdKey, ...]:
    return tuple(_key(source) for source in (current, *fallbacks) if source)


def id_keys() -> tuple[IdKey, ...]:
    """The current key first, then the ones that only decrypt."""
    if settings.ID_NUMBER_KEY:
        return _keys_for(settings.ID_NUMBER_KEY, tuple(settings.ID_NUMBER_KEY_FALLBACKS))
    return _keys_for(settings.SECRET_KEY, (*settings.ID_NUMBER_KEY_FALLBACKS,
                                           *settings.SECRET_KEY_FALLBACKS))


def current_version() -> str:
    return id_keys()[0].version


def id_digest(normalized_id: str) -> str:
    """The digest a row is stored with: under the current key."""
    return hmac.new(id_keys()[0].secret, normalized_id.encode(), hashlib.sha256).hexdigest()


def id_digests(normalized_id: str) -> list[str]:
    """The digests to look a number up by: under every key, current first."""
    return [hmac.new(key.secret, normalized_id.encode(), hashlib.sha256).hexdigest()
            for key in id_keys()]


def encrypt_id(normalized_id: str) -> str:
    key = id_keys()[0]
    return f"{key.version}{_SEPARATOR}{key.fernet.encrypt(normalized_id.encode()).decode()}"


def decrypt_id(cipher: str) -> str:
    """The number, or "" when no key of this configuration opens the cipher."""
    if not cipher:
        return ""
    version, _sep, token = cipher.rpartition(_SEPARATOR)
    # A cipher of an older release has no version: any key may open it.
    candidates = [k for k in id_keys() if k.version == version] if version else id_keys()
    for key in candidates:
        try:
            return key.fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            continue
    return ""
