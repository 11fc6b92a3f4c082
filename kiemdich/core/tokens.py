"""What the database keeps of a bearer secret (an account's API token, a reader's device
token): its SHA-256 digest, never the secret. One function, so a token issued by one app is
found by the digest another computes."""

from __future__ import annotations

import hashlib


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
