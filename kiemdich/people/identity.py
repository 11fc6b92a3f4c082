"""Identity document numbers: the shapes Vietnamese papers have, in one normal form."""

from __future__ import annotations

import re

from kiemdich.core.errors import Invalid

ID_CCCD = "cccd"  # citizen identity card / personal identification number: 12 digits
ID_CMND = "cmnd"  # the old identity card: 9 digits
ID_PASSPORT = "passport"  # Vietnamese passport: 1-2 letters and 6-8 digits

# [0-9], not \d: \d also matches Arabic-Indic and other digits that are no ID number.
_SHAPES = (
    (ID_CCCD, re.compile(r"[0-9]{12}")),
    (ID_CMND, re.compile(r"[0-9]{9}")),
    (ID_PASSPORT, re.compile(r"[A-Z]{1,2}[0-9]{6,8}")),
)
# People type numbers in groups: "001 090 123 456", "001-090-123456".
_SEPARATORS = re.compile(r"[\s.\-]")


class IdNumberInvalid(Invalid):
    code = "id_number_invalid"


def validate_id_number(text: object) -> tuple[str, str]:
    """Return (kind, number) with separators dropped and letters upper-cased.

    Raises `IdNumberInvalid` (field ``id_number``) for anything that is not a CCCD, CMND or
    Vietnamese passport number.
    """
    # ASCII before upper(): "ı".upper() is "I", and a dotless i is no passport letter.
    if isinstance(text, str) and text.isascii():
        number = _SEPARATORS.sub("", text).upper()
        for kind, shape in _SHAPES:
            if shape.fullmatch(number):
                return kind, number
    raise IdNumberInvalid(field="id_number")
