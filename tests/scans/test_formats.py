"""What a staff scanner may read: the platform code, the national QR (Decision 1405) and the
CCCD card QR. Pure parsing, no database."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from kiemdich.core import clock, error_codes
from kiemdich.people.codes import (
    KIND_CARD,
    CodeError,
    CodeExpired,
    CodeForged,
    CodeUnreadable,
    Keyring,
    issue_app_code,
    issue_card_code,
    random_kid,
)
from kiemdich.people.identity import IdNumberInvalid, validate_id_number
from kiemdich.scans import formats
from kiemdich.scans.formats import (
    MAX_SCAN_CHARS,
    NationalIdentity,
    PlatformCode,
    parse_scanned,
)

# 1 Oct 2021, 10:00 in Hà Nội.
NOW = datetime(2021, 10, 1, 3, 0, tzinfo=UTC)

CCCD_SAMPLE = "001090123456|012345678|Nguyễn Văn A|01011990|Nam|Phường X, Tỉnh Y|15042021"
NATIONAL_SAMPLE = (
    "001090123456|NGUYEN VAN A|1990-01-01|0|QR0123456789ABCDEF|1<GD4797912345678<0912345678"
)


@pytest.fixture(scope="module")
def keyring() -> Keyring:
    return Keyring({random_kid(): Ed25519PrivateKey.generate()})


def parse(text: str, keyring: Keyring | None = None):
    return parse_scanned(text, keyring=keyring, now=NOW)


def unreadable(text) -> CodeUnreadable:
    with pytest.raises(CodeUnreadable) as caught:
        parse_scanned(text, now=NOW)
    return caught.value


@pytest.fixture(autouse=True)
def _no_default_keyring(monkeypatch):
    """Only platform codes need keys, and these tests always pass their own keyring."""

    def refuse():
        raise AssertionError("the default keyring must not be loaded")

    monkeypatch.setattr(formats, "default_keyring", refuse)


# --- platform code ---------------------------------------------------------------------


def test_platform_code(keyring):
    payload, expires = issue_card_code(77, 3, NOW, keyring=keyring)
    result = parse(payload, keyring)
    assert isinstance(result, PlatformCode)
    assert (result.claims.kind, result.claims.subject, result.claims.serial) == (KIND_CARD, 77, 3)
    assert result.claims.expires_at == expires


@pytest.mark.parametrize(
    "wrap",
    [
        "{}\r\n",  # keyboard-wedge reader ending with Enter
        "{}\n",
        "{}\t",
        "  {}  ",
        "]Q1{}\r",  # AIM symbology identifier for QR
        "\ufeff{}",  # byte-order mark in front of byte-mode data
        "\ufeff]Q1{}\r\n",
    ],
)
def test_reader_artifacts_are_stripped(keyring, wrap):
    payload, _ = issue_app_code(5, NOW, keyring=keyring)
    assert parse(wrap.format(payload), keyring).claims.subject == 5


def test_caps_lock_lowercased_code_is_restored(keyring):
    payload, _ = issue_app_code(5, NOW, keyring=keyring)
    assert parse(payload.lower() + "\r\n", keyring).claims.subject == 5


def test_one_lowercased_letter_is_still_refused(keyring):
    payload, _ = issue_app_code(5, NOW, keyring=keyring)
    index = next(i for i in range(len(payload) - 1, 8, -1) if payload[i].isalpha())
    tampered = payload[:index] + payload[index].lower() + payload[index + 1 :]
    with pytest.raises(CodeUnreadable):
        parse(tampered, keyring)


def test_platform_code_errors_pass_through(keyring):
    payload, expires = issue_app_code(5, NOW, keyring=keyring)
    with pytest.raises(CodeExpired):
        parse_scanned(payload, keyring=keyring, now=expires)
    forged = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    with pytest.raises(CodeForged):
        parse(forged, keyring)


def test_platform_code_uses_the_default_keyring_when_none_given(keyring, monkeypatch):
    monkeypatch.setattr(formats, "default_keyring", lambda: keyring)
    payload, _ = issue_app_code(5, NOW, keyring=keyring)
    assert parse(payload).claims.subject == 5


# --- CCCD card QR ----------------------------------------------------------------------


def test_cccd_sample_from_the_card():
    result = parse(CCCD_SAMPLE)
    assert result == NationalIdentity(
        id_number="001090123456",
        full_name="Nguyễn Văn A",
        birth_date=date(1990, 1, 1),
        gender="male",
        phone=None,
        qid=None,
        source="cccd",
        address="Phường X, Tỉnh Y",
        id_kind="cccd",
        old_id_number="012345678",
    )


@pytest.mark.parametrize(
    ("name", "gender", "expected_gender"),
    [
        ("Trần Thị Bích Ngọc", "Nữ", "female"),
        ("Đặng Văn Lâm", "Nam", "male"),
        ("Lê Thị Hồng Nhung", "NỮ", "female"),
        ("Nguyễn  Thị   Ánh Tuyết", "Nu", "female"),
        ("Ksor H'Hen", "Nữ", "female"),  # apostrophes in Ê Đê and Gia Rai names
    ],
)
def test_cccd_vietnamese_names_and_gender(name, gender, expected_gender):
    text = f"079301012345||{name}|12072001|{gender}|Ấp 3, Xã Tân Thạnh, Long An|01022021"
    result = parse(text)
    assert result.full_name == " ".join(name.split())
    assert result.gender == expected_gender
    assert result.old_id_number is None  # cards for people who never had a CMND
    assert result.birth_date == date(2001, 7, 12)


def test_decomposed_unicode_is_composed():
    """Some phone decoders hand over NFD text; names must compare equal to typed ones."""
    result = parse(unicodedata.normalize("NFD", CCCD_SAMPLE))
    assert result.full_name == "Nguyễn Văn A"
    assert result.address == "Phường X, Tỉnh Y"


def test_cccd_old_number_may_be_a_12_digit_barcode_card():
    result = parse("001090123456|001090123456|Nguyễn Văn A|01011990|Nam|Hà Nội|15042021")
    assert result.old_id_number == "001090123456"


@pytest.mark.parametrize(
    "text",
    [
        # wrong field counts
        "001090123456|012345678|Nguyễn Văn A|01011990|Nam|Phường X",
        CCCD_SAMPLE + "|extra",
        CCCD_SAMPLE.replace("|", ";"),
        # ID numbers of the wrong shape
        "00109012345|012345678|Nguyễn Văn A|01011990|Nam|Phường X|15042021",
        "012345678|012345678|Nguyễn Văn A|01011990|Nam|Phường X|15042021",
        "00109012345A|012345678|Nguyễn Văn A|01011990|Nam|Phường X|15042021",
        "٠٠١٠٩٠١٢٣٤٥٦|012345678|Nguyễn Văn A|01011990|Nam|Phường X|15042021",
        "001090123456|01234567|Nguyễn Văn A|01011990|Nam|Phường X|15042021",
        "001090123456|B1234567|Nguyễn Văn A|01011990|Nam|Phường X|15042021",
        # impossible dates
        "001090123456|012345678|Nguyễn Văn A|31021990|Nam|Phường X|15042021",
        "001090123456|012345678|Nguyễn Văn A|1990-01-01|Nam|Phường X|15042021",
        "001090123456|012345678|Nguyễn Văn A|01011890|Nam|Phường X|15042021",
        "001090123456|012345678|Nguyễn Văn A|01012030|Nam|Phường X|15042021",
        "001090123456|012345678|Nguyễn Văn A|01011990|Nam|Phường X|32042021",
        "001090123456|012345678|Nguyễn Văn A|01011990|Nam|Phường X|15041989",  # before birth
        "001090123456|012345678|Nguyễn Văn A|01011990|Nam|Phường X|15042031",  # future
        # names and genders that are no name or gender
        "001090123456|012345678||01011990|Nam|Phường X|15042021",
        "001090123456|012345678|Nguyen Van 4|01011990|Nam|Phường X|15042021",
        "001090123456|012345678|Nguyễn Văn A|01011990|X|Phường X|15042021",
        "001090123456|012345678|Nguyễn Văn A|01011990||Phường X|15042021",
    ],
)
def test_cccd_refusals(text):
    unreadable(text)


# --- national personal QR (Decision 1405/QĐ-BTTTT v1.1) ----------------------------------


def test_national_qr_sample():
    result = parse(NATIONAL_SAMPLE)
    assert result == NationalIdentity(
        id_number="001090123456",
        full_name="NGUYEN VAN A",
        birth_date=date(1990, 1, 1),
        gender="male",
        phone="+84912345678",
        qid="QR0123456789ABCDEF",
        source="national_qr",
        address=None,
        id_kind="cccd",
        old_id_number=None,
    )


@pytest.mark.parametrize(
    ("ext", "gender", "phone"),
    [
        ("", None, None),
        ("2", "female", None),
        ("0<<0943123456", None, "+84943123456"),
        ("1<GD4877*******<0943******", "male", None),  # masked for display
        ("2<GD4797912345678<+84 943 123 456<SIGNATURE", "female", "+84943123456"),
        ("QIDKHAIHO123<1<<84943123456", "male", "+84943123456"),  # declared on behalf
        ("9<12345", None, None),
    ],
)
def test_national_qr_extension_values(ext, gender, phone):
    result = parse(f"001090123456|NGUYEN VAN A|1990-01-01|1|QID1|{ext}")
    assert (result.gender, result.phone) == (gender, phone)


@pytest.mark.parametrize(
    ("number", "kind", "normalized"),
    [
        ("001090123456", "cccd", "001090123456"),
        ("012345678", "cmnd", "012345678"),
        ("C1234567", "passport", "C1234567"),
        ("c1234567", "passport", "C1234567"),
        ("X12AB3456", "passport", "X12AB3456"),  # a foreign passport
        ("123456", "passport", "123456"),
        ("00109012", "passport", "00109012"),  # any 6-12 letters and digits
    ],
)
def test_national_qr_document_numbers(number, kind, normalized):
    result = parse(f"{number}|JOHN SMITH|1985-06-30|0|QID2|")
    assert (result.id_kind, result.id_number) == (kind, normalized)


def test_national_qr_optional_values():
    result = parse("012345678|TRAN THI B||0||")
    assert (result.birth_date, result.qid, result.gender, result.phone) == (None, None, None, None)


@pytest.mark.parametrize(
    "text",
    [
        "001090123456|NGUYEN VAN A|1990-01-01|0|QID",  # 5 fields
        "001090123456|NGUYEN VAN A|1990-01-01|0|QID|1|x|y",  # 8 fields
        "00109|NGUYEN VAN A|1990-01-01|0|QID|1",
        "0010901234567890|NGUYEN VAN A|1990-01-01|0|QID|1",
        "******123456|NGUYEN VAN A|1990-01-01|0|QID|1",  # masked display copy
        "001090123456|NGUYEN VAN A|1990-02-30|0|QID|1",
        "001090123456|NGUYEN VAN A|01/01/1990|0|QID|1",
        "001090123456|NGUYEN VAN A|1990-**-**|0|QID|1",
        "001090123456|NGUYEN VAN A|2021-10-02|0|QID|1",  # born tomorrow
        "001090123456|NGUYEN VAN A|1990-01-01|2|QID|1",
        "001090123456|NGUYEN VAN A|1990-01-01||QID|1",
        "001090123456|   |1990-01-01|0|QID|1",
        "001090123456|" + "A" * 101 + "|1990-01-01|0|QID|1",
    ],
)
def test_national_qr_refusals(text):
    unreadable(text)


# --- everything else -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \r\n",
        "hello",
        "x" * (MAX_SCAN_CHARS + 1),
        CCCD_SAMPLE.replace("Nguyễn", "Nguy\x00ễn"),
        CCCD_SAMPLE.replace("Nguyễn", "Nguy\x1bễn"),
        CCCD_SAMPLE.replace("Nguyễn", "Nguy\u200bễn"),  # zero-width space
        CCCD_SAMPLE.replace(",", "\u2028"),
        "NZCOVIDTRACER:eyJ0eXAiOiJlbnRyeSJ9",
        "]QX" + CCCD_SAMPLE + "]Q1",  # only a leading AIM identifier is dropped
        None,
        b"001090123456",
    ],
)
def test_anything_else_is_unreadable(text):
    error = unreadable(text)
    assert error.code == "code_unreadable"
    assert "hint" not in error.extra


@pytest.mark.parametrize(
    "url",
    [
        "https://kiemdich.vn/v/9F3K2Q",
        "http://127.0.0.1:8000/v/9F3K2Q\r\n",
        "HTTPS://KIEMDICH.VN/V/9F3K2Q",
        "www.kiemdich.vn/v/9F3K2Q",
        "https://e.coronawarn.app?v=1#CAESJQgBEgpBZ",
    ],
)
def test_venue_poster_gets_its_own_message(url):
    error = unreadable(url)
    assert error.code == "code_unreadable"
    assert error.extra == {"hint": "venue_poster"}
    assert str(error.message) != str(error_codes.message_of("code_unreadable"))
    assert error.as_dict()["error"]["hint"] == "venue_poster"


def test_size_limit_counts_the_raw_text():
    unreadable(CCCD_SAMPLE + " " * MAX_SCAN_CHARS)
    assert parse(CCCD_SAMPLE + " " * (MAX_SCAN_CHARS - len(CCCD_SAMPLE))).source == "cccd"


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        parse_scanned(CCCD_SAMPLE, now=NOW.replace(tzinfo=None))


def test_now_defaults_to_the_current_time():
    assert parse_scanned(CCCD_SAMPLE).birth_date == date(1990, 1, 1)


# --- robustness ------------------------------------------------------------------------

field = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "0", "1", "2", "001090123456", "012345678", "C1234567", "Nam", "Nữ"]),
    st.dates(min_value=date(1800, 1, 1)).map(lambda d: d.strftime("%d%m%Y")),
    st.dates(min_value=date(1800, 1, 1)).map(date.isoformat),
    st.lists(st.text(max_size=12), max_size=4).map("<".join),
)
structured = (
    st.integers(4, 9).flatmap(lambda n: st.lists(field, min_size=n, max_size=n)).map("|".join)
)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(), structured, st.text().map(lambda s: "KD1." + s)))
def test_parser_raises_nothing_but_code_errors(keyring, text):
    try:
        result = parse(text, keyring)
    except CodeError:
        return
    assert isinstance(result, NationalIdentity)  # random text is never a signed code
    assert result.id_number and result.full_name


@settings(deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_birth_date_is_checked_against_the_local_day(now):
    today = clock.local_day(now)
    born = f"{today:%d%m%Y}"
    text = f"001090123456||Nguyễn Văn A|{born}|Nam|Hà Nội|{born}"
    assert parse_scanned(text, now=now).birth_date == today
    tomorrow = f"{today + timedelta(days=1):%d%m%Y}"
    with pytest.raises(CodeUnreadable):
        parse_scanned(text.replace(born, tomorrow, 1), now=now)


# --- ID numbers typed by hand ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "normalized"),
    [
        ("001090123456", "cccd", "001090123456"),
        (" 001 090 123 456 ", "cccd", "001090123456"),
        ("001-090-123456", "cccd", "001090123456"),
        ("012345678", "cmnd", "012345678"),
        ("012.345.678", "cmnd", "012345678"),
        ("B1234567", "passport", "B1234567"),
        ("n1234567", "passport", "N1234567"),
        ("AB123456", "passport", "AB123456"),
        ("C12345678", "passport", "C12345678"),
    ],
)
def test_validate_id_number(text, kind, normalized):
    assert validate_id_number(text) == (kind, normalized)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12345678",
        "1234567890",
        "0010901234567",
        "ABC123456",
        "B12345",
        "B123456789",
        "ı1234567",  # dotless i upper-cases to I
        "１２３４５６７８９",  # full-width digits
        "٠١٢٣٤٥٦٧٨",
        "B1234567\x00",
        None,
        123456789,
    ],
)
def test_validate_id_number_refusals(text):
    with pytest.raises(IdNumberInvalid) as caught:
        validate_id_number(text)
    error = caught.value
    assert (error.code, error.status, error.field) == ("id_number_invalid", 422, "id_number")
    assert error.as_dict()["error"]["field"] == "id_number"
