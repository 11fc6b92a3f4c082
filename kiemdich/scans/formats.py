"""Read the text a staff scanner hands over: the platform's own code or a national format.

Three formats are accepted (see docs/reference DOMAIN.md, "QR formats"):

- the platform's signed personal code, ``KD1.…`` (`kiemdich.people.codes`);
- the Vietnam personal QR standard v1.1 (Decision 1405/QĐ-BTTTT, 11 Sept 2021):
  ``SoGiayTo|HoTen|NgaySinh|LoaiDinhDanh|QID|EXT``, birth date ``YYYY-MM-DD``, EXT a list of
  extension values separated by ``<`` (gender 0/1/2, health-insurance number, phone, …);
- the QR printed on the chip ID card (CCCD):
  ``ID12|OldID9|Full Name|DDMMYYYY|Gender|Address|DDMMYYYY``.

Anything else is refused with `CodeUnreadable`; `parse_scanned` raises nothing but
`CodeError` subclasses for any input, so callers can record the refusal's code as is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.phones import PhoneInvalid, normalize_phone
from kiemdich.core import clock
from kiemdich.people.codes import (
    PREFIX,
    Claims,
    CodeUnreadable,
    Keyring,
    default_keyring,
)
from kiemdich.people.identity import (
    ID_CCCD,
    ID_CMND,
    ID_PASSPORT,
    IdNumberInvalid,
    validate_id_number,
)

SOURCE_NATIONAL_QR = "national_qr"
SOURCE_CCCD = "cccd"
GENDER_MALE = "male"
GENDER_FEMALE = "female"

# Far above any real payload (a CCCD QR with a long address is ~250 characters); refusing
# early bounds the work a pasted or malicious text can cause.
MAX_SCAN_CHARS = 2000
_MAX_NAME_CHARS = 100
_EARLIEST_BIRTH_YEAR = 1900

# Keyboard-wedge readers configured to send the AIM symbology identifier prefix ]Q0-]Q6.
_AIM_QR_PREFIX = re.compile(r"\A\]Q[0-6]")
# Foreign passports in the national QR: letters and digits, no fixed shape.
_FOREIGN_DOCUMENT = re.compile(r"[A-Z0-9]{6,12}")
_URL = re.compile(r"(?i)[a-z][a-z0-9+.\-]*://|www\.")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DMY_DATE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")

# Decision 1405, EXT: 0 = unknown, 1 = male, 2 = female.
_EXT_GENDERS = {"0": None, "1": GENDER_MALE, "2": GENDER_FEMALE}
_CARD_GENDERS = {"nam": GENDER_MALE, "nữ": GENDER_FEMALE, "nu": GENDER_FEMALE}


@dataclass(frozen=True)
class PlatformCode:
    """A genuine, unexpired platform code. Revocation of cards is the caller's to check."""

    claims: Claims


@dataclass(frozen=True, kw_only=True)
class NationalIdentity:
    """A person as described by a national-format QR; the data is only as true as the paper."""

    id_number: str
    full_name: str
    birth_date: date | None
    gender: str | None  # GENDER_MALE, GENDER_FEMALE or None when not stated
    phone: str | None  # E.164, when the EXT field holds a usable (unmasked) number
    qid: str | None  # the national QR platform's id; None for a CCCD
    source: str  # SOURCE_NATIONAL_QR or SOURCE_CCCD
    address: str | None  # permanent address on a CCCD; None for the national QR
    id_kind: str  # ID_CCCD, ID_CMND or ID_PASSPORT
    old_id_number: str | None  # the CMND (or older card) a CCCD replaced, to match old records


def parse_scanned(
    text: str, keyring: Keyring | None = None, now: datetime | None = None
) -> PlatformCode | NationalIdentity:
    """Recognise and check a scanned text; raise a `CodeError` subclass if it is refused.

    `keyring` defaults to `default_keyring()` and is only loaded for platform codes; `now`
    (aware, default: the current time) decides expiry and which birth dates are possible.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    clean = _clean(text)
    if clean[: len(PREFIX) + 1].upper() == f"{PREFIX}.":
        # Caps Lock on a keyboard-wedge reader lower-cases every letter. Only an all-lower text
        # is restored, so a code with one altered letter is still refused.
        if clean.islower():
            clean = clean.upper()
        return PlatformCode((keyring or default_keyring()).verify(clean, now))
    if _URL.match(clean):
        raise CodeUnreadable(
            _(
                "Đây là mã QR của địa điểm, không phải mã cá nhân. Hãy quét mã QR cá nhân "
                "hoặc thẻ CCCD của khách."
            ),
            extra={"hint": "venue_poster"},
        )
    fields = clean.split("|")
    today = clock.local_day(now)
    if len(fields) == 6:
        return _national_qr(fields, today)
    if len(fields) == 7:
        return _cccd(fields, today)
    raise CodeUnreadable()


def _clean(text: object) -> str:
    """Drop what readers add around a payload; refuse what no payload contains."""
    if not isinstance(text, str) or len(text) > MAX_SCAN_CHARS:
        raise CodeUnreadable()
    # Trailing CR/LF/Tab from keyboard-wedge readers, a UTF-8 BOM some QR generators put in
    # front of byte-mode data, and the AIM identifier, in the order they can appear.
    clean = text.strip().removeprefix("\ufeff")
    clean = _AIM_QR_PREFIX.sub("", clean)
    # Phones hand over Vietnamese text in decomposed (NFD) form as often as composed.
    clean = unicodedata.normalize("NFC", clean.strip())
    # isprintable() (C speed) clears almost every payload; only text it refuses (which includes
    # harmless non-ASCII spaces) is checked character by character.
    if not clean or (not clean.isprintable() and any(_is_control(char) for char in clean)):
        raise CodeUnreadable()
    return clean


def _is_control(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "C" or category in ("Zl", "Zp")


def _national_qr(fields: list[str], today: date) -> NationalIdentity:
    number, name, birth, declared_by, qid, ext = (field.strip() for field in fields)
    if declared_by not in ("0", "1"):  # 0 = self-declared, 1 = declared on behalf
        raise CodeUnreadable()
    id_kind, id_number = _document_number(number)
    birth_date = _birth_date(birth, today, day_first=False) if birth else None
    ext_values = [value.strip() for value in ext.split("<")]
    return NationalIdentity(
        id_number=id_number,
        full_name=_name(name),
        birth_date=birth_date,
        gender=next((_EXT_GENDERS[v] for v in ext_values if v in _EXT_GENDERS), None),
        phone=_first_phone(ext_values),
        qid=qid or None,
        source=SOURCE_NATIONAL_QR,
        address=None,
        id_kind=id_kind,
        old_id_number=None,
    )


def _cccd(fields: list[str], today: date) -> NationalIdentity:
    number, old_number, name, birth, gender, address, issued = (field.strip() for field in fields)
    id_kind, id_number = _checked_id(number, (ID_CCCD,))
    # Usually empty or the 9-digit CMND; a card replacing a bar-code CCCD repeats 12 digits.
    old_id = _checked_id(old_number, (ID_CMND, ID_CCCD))[1] if old_number else None
    birth_date = _birth_date(birth, today, day_first=True)
    issue_date = _date(issued, day_first=True)
    if not birth_date <= issue_date <= today:
        raise CodeUnreadable()
    card_gender = _CARD_GENDERS.get(gender.lower())
    if card_gender is None:
        raise CodeUnreadable()
    return NationalIdentity(
        id_number=id_number,
        full_name=_name(name),
        birth_date=birth_date,
        gender=card_gender,
        phone=None,
        qid=None,
        source=SOURCE_CCCD,
        address=" ".join(address.split()) or None,
        id_kind=id_kind,
        old_id_number=old_id,
    )


def _checked_id(text: str, kinds: tuple[str, ...]) -> tuple[str, str]:
    try:
        kind, number = validate_id_number(text)
    except IdNumberInvalid:
        raise CodeUnreadable() from None
    if kind not in kinds:
        raise CodeUnreadable()
    return kind, number


def _document_number(text: str) -> tuple[str, str]:
    """CCCD, CMND or Vietnamese passport; the national QR also carries foreign passports."""
    try:
        return validate_id_number(text)
    except IdNumberInvalid:
        if text.isascii() and _FOREIGN_DOCUMENT.fullmatch(text.upper()):
            return ID_PASSPORT, text.upper()
        raise CodeUnreadable() from None


def _name(text: str) -> str:
    name = " ".join(text.split())
    if (
        not name
        or len(name) > _MAX_NAME_CHARS
        or not any(char.isalpha() for char in name)
        or any(char.isdigit() for char in name)
    ):
        raise CodeUnreadable()
    return name


def _date(text: str, *, day_first: bool) -> date:
    match = (_DMY_DATE if day_first else _ISO_DATE).fullmatch(text)
    if match is None:
        raise CodeUnreadable()
    first, middle, last = (int(part) for part in match.groups())
    year, month, day = (last, middle, first) if day_first else (first, middle, last)
    try:
        return date(year, month, day)
    except ValueError:
        raise CodeUnreadable() from None


def _birth_date(text: str, today: date, *, day_first: bool) -> date:
    born = _date(text, day_first=day_first)
    if not date(_EARLIEST_BIRTH_YEAR, 1, 1) <= born <= today:
        raise CodeUnreadable()
    return born


def _first_phone(values: list[str]) -> str | None:
    """The first EXT value that is a Vietnamese phone number; masked ones (0943******) fail."""
    for value in values:
        try:
            return normalize_phone(value)
        except PhoneInvalid:
            continue
    return None
