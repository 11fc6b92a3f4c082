"""Vietnamese phone numbers: accept the forms people type, store E.164."""

from __future__ import annotations

import re

from kiemdich.core.errors import Invalid

# Mobile prefixes in use since the 2018 renumbering (03x, 05x, 07x, 08x, 09x) and fixed
# lines (02x, 11 digits with the trunk 0).
_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"^(3[2-9]|5[2689]|7[06-9]|8[1-9]|9\d)\d{7}$")
_FIXED = re.compile(r"^2\d{9}$")


class PhoneInvalid(Invalid):
    code = "phone_invalid"


def normalize_phone(raw: object) -> str:
    """Return +84… for a Vietnamese number in any common form, or raise PhoneInvalid."""
    if not isinstance(raw, str):
        raise PhoneInvalid(field="phone")
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+84"):
        national = text[3:]
    elif text.startswith("0084"):
        national = text[4:]
    elif text.startswith("84") and len(text) in (11, 12):
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        raise PhoneInvalid(field="phone")
    if national.startswith("0"):
        national = national[1:]  # "+84 0912…" is a common slip
    if not national.isascii() or not (_MOBILE.match(national) or _FIXED.match(national)):
        raise PhoneInvalid(field="phone")
    return "+84" + national


def national_form(e164: str) -> str:
    """+84912345678 → 0912345678, the form people read."""
    return "0" + e164[3:] if e164.startswith("+84") else e164
