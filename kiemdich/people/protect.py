"""ID numbers at rest: encrypted (Fernet, AES-128-CBC + HMAC) and found by a keyed digest.

The key comes from ID_NUMBER_KEY when set (rotate it independently of SECRET_KEY), else it is
derived from SECRET_KEY. The digest is an HMAC, so the table cannot be reversed by hashing all
9- and 12-digit numbers without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from kiemdich.env import env_str


@lru_cache(maxsize=1)
def _master_key() -> bytes:
    configured = env_str("ID_NUMBER_KEY")
    source = configured or settings.SECRET_KEY
    return hashlib.sha256(b"kiemdich-id-number:" + source.encode()).digest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_master_key()))


def id_digest(normalized_id: str) -> str:
    return hmac.new(_master_key(), normalized_id.encode(), hashlib.sha256).hexdigest()


def encrypt_id(normalized_id: str) -> str:
    return _fernet().encrypt(normalized_id.encode()).decode()


def decrypt_id(cipher: str) -> str:
    if not cipher:
        return ""
    try:
        return _fernet().decrypt(cipher.encode()).decode()
    except InvalidToken:
        return ""
