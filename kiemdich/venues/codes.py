"""Venue codes and the keys of the one-code-per-place rule.

A venue code is random (it carries nothing about the place), drawn from Crockford's base32
alphabet without I, L, O and U so that a code read off a poster and typed by hand cannot be
mistaken: 13 characters carry 65 bits, too many to guess a valid code by trying.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 13
# Letters people type for the digits they resemble (Crockford's decoding rules).
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-_.]")
_CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """The canonical code for what someone typed or scanned, or None if it cannot be one.

    Accepts lower case, the blocks of four printed on posters ("K7QM-2XHP-…") and I/L/O
    typed for 1/1/0.
    """
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    text = _SEPARATORS.sub("", raw).upper().translate(_LOOKALIKES)
    return text if _CODE.match(text) else None


def fold(text: str) -> str:
    """Lower case, no diacritics (đ → d), punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D").casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def normalize_plate(raw: str) -> str:
    """"51B-123.45" → "51B12345": the form plates are compared in."""
    return re.sub(r"[^0-9A-Z]", "", fold(raw).upper())


def address_key(area_id: int, street: str, plate: str = "") -> str:
    """Where a place is: its commune and street, or for a vehicle its plate (it moves)."""
    if plate:
        return f"plate:{normalize_plate(plate)}"
    return f"{area_id}:{fold(street)}"


def place_key(address: str, name: str, *, is_vehicle: bool = False) -> str:
    """The identity of a place: the same name at the same address is the same place."""
    return address if is_vehicle else f"{address}|{fold(name)}"
